import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { percentile } from "../stats.js";
import type { Row, Target } from "../table.js";
import { SCALE, SEED, replayExpectedCosts, replayTrace } from "@llmux/live-replay";
import { replayLive } from "../trace-replay.js";
import { type Figures, figureRows, liveFigures, logFigures, policyFor, simFigures, simulate } from "./live-replay.js";

/** time_slice under 1.5× the load one engine serves, in the simulator's seconds. */
const POLICY = { policy_type: "time_slice", max_wait_secs: 60, min_active_secs: 5, request_timeout_secs: 120, drain_timeout_secs: 300 };

export const overloadScenario: Scenario = {
  id: "overload",
  title: "10. Overload: refusing at admission against queueing until request_timeout_secs (live on vllm-sim, and simulated)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    if (!context.sim || !context.llmux) throw new Error("needs vllm-sim and the built llmux");
    const family = replayTrace(1.5, context.options.quick ? 300 : 600);
    context.log(`  ${family.requests.length} requests, seed ${SEED}, live ${SCALE}× faster`);
    const columns: Record<string, Figures> = {};
    const refusalMs: Record<string, number[]> = {};
    const retryAfter: Record<string, number[]> = {};
    for (const mode of ["off", "bound"]) {
      const policy = { ...POLICY, overload_refusal: mode };
      // Both plan with what the engines take until they have measured it: live at the replay's speed, simulated at the simulator's.
      const run = await replayLive(family, family.requests, { ...policyFor(policy, true), expected_costs: replayExpectedCosts(SCALE) });
      const name = `live, refusal ${mode}`;
      columns[name] = liveFigures(run);
      refusalMs[name] = run.outcomes.flatMap((o) => (o.refusedInMs === undefined ? [] : [o.refusedInMs]));
      retryAfter[name] = run.outcomes.flatMap((o) => (o.retryAfterSecs === undefined ? [] : [o.retryAfterSecs * SCALE]));
      logFigures(context, name, columns[name]);
      const simulated = simFigures(await simulate(family, { ...policy, expected_costs: replayExpectedCosts(1) }));
      columns[`simulated, refusal ${mode}`] = simulated;
      logFigures(context, `simulated, refusal ${mode}`, simulated);
    }
    const each = (read: (name: string) => number | undefined) => Object.fromEntries(Object.keys(columns).map((name) => [name, read(name)]));
    const latency = (q: number) => (name: string) => (refusalMs[name]?.length ? percentile(refusalMs[name], q) : undefined);
    const rows: Row[] = [
      ...figureRows(columns),
      { metric: "429: arrival → answer p50 (live, real time)", unit: "ms", values: each(latency(50)), digits: 1, ratios: false },
      { metric: "429: arrival → answer p99 (live, real time)", unit: "ms", values: each(latency(99)), digits: 1, ratios: false },
      { metric: "429: arrival → answer max (live, real time)", unit: "ms", values: each(latency(100)), digits: 1, ratios: false },
      {
        metric: "Retry-After p50 (scaled back)",
        unit: "s",
        values: each((name) => (retryAfter[name]?.length ? percentile(retryAfter[name], 50) : undefined)),
        digits: 0,
        ratios: false,
      },
    ];
    const bound = columns["live, refusal bound"];
    const targets: Target[] = [
      {
        name: "live, refusal bound: slowest 429 (arrival → answer)",
        measured: Math.max(0, ...(refusalMs["live, refusal bound"] ?? [])),
        limit: 50,
        unit: "ms",
        kind: "max",
      },
      { name: "live, refusal bound: requests lost after waiting", measured: bound?.lost ?? Number.NaN, limit: 0, unit: "requests", kind: "max" },
      {
        name: "simulated, refusal bound: admitted requests over their promised wait",
        measured: columns["simulated, refusal bound"]?.overPromised ?? Number.NaN,
        limit: 0,
        unit: "requests",
        kind: "max",
      },
    ];
    return {
      table: {
        id: "overload",
        title: this.title,
        baseline: "live, refusal off",
        columns: Object.keys(columns),
        rows,
        targets,
        notes: [
          `Trace: two-equal-saturated, held-out seed ${SEED}, ${family.requests.length} requests over ${family.shape.durationSecs} s, outputs 500–4000 tokens, 1.5× what one engine of 8 sequences at 40 tokens/s serves, switches counted; time_slice, max_wait_secs 60, request_timeout_secs 120.`,
          `Live runs every time ${SCALE}× faster (figures scaled back, except the 429 latencies, which are real milliseconds on this machine). "bound": policy.overload_refusal bound (time_slice's bound on what llmux holds: max_wait_secs + K × (the longest generation + the longest switch), K the models with work; here request_timeout_secs is the lower limit). The wait each admitted request was promised is not on the wire, so it is counted in the simulator only. Both plan with the engines' costs (policy.expected_costs) until they have measured them.`,
        ],
      },
      raw: { seed: SEED, columns, refusalMs, retryAfter },
    };
  },
};
