import { describe, expect, it } from "vitest";
import { fifoPolicy } from "../src/policies/fifo.js";
import { timeSlicePolicy } from "../src/policies/time-slice.js";
import { formatResultsMarkdown } from "../src/sim/format-table.js";
import { familyConfig, simulateTrace, withoutAdmissionLimit } from "../src/sim/simulate-trace.js";
import { HELD_OUT_SEEDS, LIGHT_LOAD, OVERLOAD, TRACE_SHAPES, familyTrace } from "../src/sim/trace-family.js";

/** time_slice with preemption as tuned on the tuning seeds. */
const PAUSING = { max_drain_secs: 1, max_preemptions: 1 };

/**
 * Held-out seeds of the trace family (never used while tuning; run once after
 * the policy was frozen): the original llmux (fifo, every request let into
 * vLLM at once), time_slice drain-only and time_slice with preemption. What
 * the issues' targets ask and the run did not meet (busy p99 ≤ 0.6× and
 * switches ≤ 0.8× fifo's; other models' p99 ≤ 0.5× drain-only's; the
 * one-batch K-model bound on every trace within capacity) is in
 * packages/core/README.md with the figures and why. What held is asserted so
 * it cannot regress: exact accounting, nothing lost, little draining, GPU
 * time within 5% of drain-only, the light target, the bound with each turn
 * counted at its backlog, the one-batch bound on light traces and nearly
 * everywhere within capacity, and +pause no worse than the original under
 * overload where the original cut nothing off.
 */
describe("time_slice against the original llmux on held-out traces", () => {
  for (const shape of Object.keys(TRACE_SHAPES)) {
    for (const seed of HELD_OUT_SEEDS) {
      it(`${shape}@${seed}`, async () => {
        const family = familyTrace(shape, seed);
        const config = familyConfig(family);
        const [fifo] = await simulateTrace({ trace: family.requests, config: withoutAdmissionLimit(config), policies: [fifoPolicy] });
        const [drainOnly] = await simulateTrace({ trace: family.requests, config, policies: [timeSlicePolicy] });
        const [pausing] = await simulateTrace({ trace: family.requests, config: familyConfig(family, PAUSING), policies: [timeSlicePolicy] });
        if (!fifo || !drainOnly || !pausing) throw new Error("missing results");
        if (process.env.LLMUX_PRINT_TABLES === "1") {
          const kind = family.shape.load <= LIGHT_LOAD ? "light" : family.shape.load > OVERLOAD ? "overload" : "busy";
          const r = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "-");
          const parts = (x: typeof fifo) =>
            `${x.slowest.latencySecs.toFixed(0)}=${x.slowest.turnSecs.toFixed(0)}t+${x.slowest.switchSecs.toFixed(0)}s+${x.slowest.heldSecs.toFixed(0)}h+${x.slowest.pausedSecs.toFixed(0)}p+${x.slowest.serviceSecs.toFixed(0)}g`;
          console.log(
            `ROW ${family.name} ${family.shape.load} ${kind} n=${family.requests.length} | fifo ${fifo.latencyP99.toFixed(0)} ts ${drainOnly.latencyP99.toFixed(0)} (${r(drainOnly.latencyP99, fifo.latencyP99)}) pause ${pausing.latencyP99.toFixed(0)} (${r(pausing.latencyP99, fifo.latencyP99)}) | sw ${fifo.switches}/${drainOnly.switches}/${pausing.switches} (${r(drainOnly.switches, fifo.switches)} ${r(pausing.switches, fifo.switches)}) | over ${drainOnly.overBound}/${pausing.overBound} overK ${drainOnly.overRoundBound}/${pausing.overRoundBound} Kb ${drainOnly.roundBoundSecs.toFixed(0)}/${pausing.roundBoundSecs.toFixed(0)} overT ${drainOnly.overTurnBound}/${pausing.overTurnBound} | other ${r(pausing.switchedLatencyP99, drainOnly.switchedLatencyP99)} first ${r(pausing.switchedFirstTokenP99, drainOnly.switchedFirstTokenP99)} gpu ${r(pausing.gpuBusySecs, drainOnly.gpuBusySecs)} paused ${pausing.paused} | cut ${fifo.preempted} fail ${drainOnly.failed}/${pausing.failed} drain ${(fifo.drainShare * 100).toFixed(0)}/${(drainOnly.drainShare * 100).toFixed(0)}/${(pausing.drainShare * 100).toFixed(0)}% | slow ${parts(fifo)} ${parts(drainOnly)} ${parts(pausing)}`,
          );
          console.log(`${family.name}\n${formatResultsMarkdown([fifo, drainOnly, pausing])}`);
        }
        for (const result of [fifo, drainOnly, pausing]) {
          expect(result.served + result.failed).toBe(family.requests.length);
          // The diagnostic first-token wait comes before the last token.
          expect(result.switchedFirstTokenP99).toBeGreaterThan(0);
          expect(result.switchedFirstTokenP99).toBeLessThanOrEqual(result.switchedLatencyP99);
        }
        expect(drainOnly.failed).toBe(0);
        expect(pausing.failed).toBe(0);
        expect(drainOnly.paused).toBe(0);
        expect(drainOnly.drainShare).toBeLessThan(0.25);
        expect(fifo.drainShare).toBeGreaterThan(0.5);
        expect(pausing.gpuBusySecs).toBeLessThanOrEqual(1.05 * drainOnly.gpuBusySecs);
        // The bound with each turn counted at its backlog (a generation per batch) held for +pause on every trace, overload
        // included: no turn ran past its batches, no request waited through more than K turns.
        expect(pausing.overTurnBound).toBe(0);
        const load = family.shape.load;
        if (load <= OVERLOAD) expect(drainOnly.overTurnBound).toBe(0);
        // Drain-only, above capacity: a request without max_tokens let in after the switch was due can outrun its estimate by a whole generation.
        else expect(drainOnly.overTurnBound).toBeLessThanOrEqual(0.001 * family.requests.length);
        if (load <= LIGHT_LOAD) {
          expect(pausing.latencyP99).toBeLessThanOrEqual(1.05 * fifo.latencyP99);
          expect(drainOnly.overRoundBound).toBe(0);
          expect(pausing.overRoundBound).toBe(0);
        } else if (load <= OVERLOAD) {
          expect(pausing.latencyP99).toBeLessThanOrEqual(1.05 * fifo.latencyP99);
          // The one-batch K-model bound breaks where a burst brought a model more than a batch per round (long outputs, sigma 1.5, most).
          expect(pausing.overRoundBound).toBeLessThanOrEqual((shape === "long-tails" ? 0.01 : 0.001) * family.requests.length);
        } else {
          // Where the original cut requests off at the drain timeout, its p99 leaves them out; where it lost none, +pause is no worse.
          if (fifo.preempted === 0) expect(pausing.latencyP99).toBeLessThanOrEqual(1.01 * fifo.latencyP99);
          expect(pausing.switchedLatencyP99).toBeLessThanOrEqual(drainOnly.switchedLatencyP99);
        }
        // Far below capacity the stragglers of a turn are younger than the requests its drain holds up: pausing them pays.
        if (load < 0.1) expect(pausing.paused).toBeGreaterThan(0);
      }, 300_000);
    }
  }
});
