import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { liveMeasures, measureRows, measuredCosts } from "../live-diagnostics.js";
import { SCALE, SEED, TOKENS_PER_SEC, replayTrace } from "@llmux/live-replay";
import { replayLive } from "../trace-replay.js";
import { figureRows, liveFigures, logFigures, policyFor, simFigures, simulate } from "./live-replay.js";

/** time_slice as the core README's held-out table runs it, in the simulator's seconds. */
const POLICY = { policy_type: "time_slice", max_wait_secs: 60, min_active_secs: 5, request_timeout_secs: 3600, drain_timeout_secs: 300 };

export const liveVsSimScenario: Scenario = {
  id: "live-vs-sim",
  title: "9. Live against simulated (the short held-out trace through the binary on vllm-sim, and in llmux simulate)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    if (!context.sim || !context.llmux) throw new Error("needs vllm-sim and the built llmux");
    const family = replayTrace(0.8, context.options.quick ? 300 : 600);
    context.log(`  ${family.requests.length} requests, seed ${SEED}, live ${SCALE}× faster`);
    const run = await replayLive(family, family.requests, policyFor(POLICY, true));
    const live = liveFigures(run);
    const measures = liveMeasures(run, TOKENS_PER_SEC * SCALE);
    context.log(`  live measures: ${JSON.stringify(measures)}`);
    logFigures(context, "live", live);
    const simulated = simFigures(await simulate(family, POLICY));
    logFigures(context, "simulated", simulated);
    // The same simulation with the switch costs the live run measured: what is left of the gap is not the costs.
    const withLiveCosts = simFigures(await simulate(family, POLICY, measuredCosts(measures)));
    logFigures(context, "simulated, live costs", withLiveCosts);
    const columns = { simulated, "simulated, live costs": withLiveCosts, live };
    return {
      table: {
        id: "live-vs-sim",
        title: this.title,
        baseline: "simulated",
        columns: Object.keys(columns),
        rows: [...figureRows(columns), ...measureRows(measures)],
        targets: [],
        notes: [
          `Trace: two-equal-saturated, seed ${SEED} (held out when bench/README took its figures), ${family.requests.length} requests over ${family.shape.durationSecs} s, outputs 500–4000 tokens (median 1500), 0.8 of what one engine of 8 sequences at 40 tokens/s serves, switches counted (the family's capacity); time_slice, max_wait_secs 60.`,
          `Live: the built llmux and vllm-sim with every time (arrivals, costs, decode rate) ${SCALE}× faster, figures scaled back; cold engines. Simulated: the same trace, costs and service model (8 at once, 40 tokens/s, 200 ms first token) in core's trace simulator, cold engines.`,
          `Live costs: a level-2 wake is three calls to vllm-sim (weights, reload, KV cache) whose knobs add up to the simulator's one cost; vllm-sim's load time is the simulator's cold start less its own measured boot (${run.simBootMs} ms real). The last rows compare what the live run measured (llmux's switch log, the engines' event log) with what the simulator assumes.`,
        ],
      },
      raw: { seed: SEED, live, simulated, withLiveCosts, measures },
    };
  },
};
