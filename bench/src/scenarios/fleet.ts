import { hotSetTrace } from "@llmux/core";
import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { type FleetResult, type RouterName, runFleet } from "../fleet/run-fleet.js";
import type { Row } from "../table.js";

/** Twelve models over four pods, each pod with room for one awake model. */
export const FLEET_MODELS = Array.from({ length: 12 }, (_, index) => `m${String(index).padStart(2, "0")}`);
/** Seeds the picker's weights were chosen on; never used for the reported figures. */
export const FLEET_TUNING_SEEDS = [101, 102];
/** The held-out trace of the reported figures. */
export const FLEET_HELD_OUT_SEED = 2027;

/** The first seconds of every trace bring the fleet to each router's steady state and are not measured. */
export const FLEET_WARMUP_SECS = 10;

/** vllm-sim costs scaled down ~15× from a real level-1 switch, so a run fits a shared 2-core machine. */
export const FLEET_KNOBS = { "startup-ms": 300, "sleep1-ms": 600, "wake1-ms": 300, "ttft-ms": 20, "tokens-per-sec": 400 };

/** Every pod's llmux policy (chosen on the tuning seeds with tune.ts). */
export const FLEET_POLICY: Record<string, unknown> = { policy_type: "cost_aware", max_wait_secs: 5 };

export function fleetTrace(seed: number, quick: boolean) {
  return hotSetTrace({ seed, models: FLEET_MODELS, hotCount: 4, durationSecs: quick ? 30 : 90, ratePerSec: 8, periodSecs: 20, dominance: 0.95 });
}

const ROUTERS: RouterName[] = ["round-robin", "model-hash", "metric picker"];

export const fleetScenario: Scenario = {
  id: "fleet",
  title: "6. Fleet (4 llmux pods × 12 models on vllm-sim, one held-out trace, three routers)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const trace = fleetTrace(FLEET_HELD_OUT_SEED, context.options.quick);
    const results: FleetResult[] = [];
    for (const router of ROUTERS) {
      context.log(`  ${router}: ${trace.length} requests`);
      results.push(await runFleet({ pods: 4, models: FLEET_MODELS, trace, router, knobs: FLEET_KNOBS, policy: FLEET_POLICY }));
    }
    const values = (read: (result: FleetResult) => number): Record<string, number> =>
      Object.fromEntries(results.map((result) => [result.router, read(result)]));
    const rows: Row[] = [
      { metric: "switches per request", unit: "ratio", values: values((r) => r.switchesPerRequest), digits: 3 },
      { metric: "latency p50", unit: "ms", values: values((r) => r.p50Ms), digits: 0 },
      { metric: "latency p99", unit: "ms", values: values((r) => r.p99Ms), digits: 0 },
      { metric: "requests lost", unit: "count", values: values((r) => r.lost), digits: 0, ratios: false },
    ];
    const by = (router: RouterName): FleetResult => results.find((result) => result.router === router) as FleetResult;
    const picker = by("metric picker");
    return {
      table: {
        id: "fleet",
        title: this.title,
        baseline: "round-robin",
        columns: ROUTERS,
        rows,
        targets: [
          {
            name: "metric picker switches ÷ round-robin's",
            measured: picker.switchesPerRequest / by("round-robin").switchesPerRequest,
            limit: 0.5,
            unit: "×",
            kind: "max",
          },
          { name: "metric picker p99 ÷ model-hash's", measured: picker.p99Ms / by("model-hash").p99Ms, limit: 0.999, unit: "×", kind: "max" },
          { name: "metric picker requests lost", measured: picker.lost, limit: 0, unit: "requests", kind: "max" },
        ],
        notes: [
          `Trace: core's hotSetTrace, seed ${FLEET_HELD_OUT_SEED} (held out; weights tuned on seeds ${FLEET_TUNING_SEEDS.join(", ")}), ${trace.length} requests, 4 hot models at a time.`,
          "Each pod is the built llmux binary with its own simulated GPU; the metric picker scrapes every pod's /metrics every 100 ms and scores with the Inference Extension's affinity (×2) and queue (×1) scorers.",
        ],
      },
      raw: { seed: FLEET_HELD_OUT_SEED, results },
    };
  },
};
