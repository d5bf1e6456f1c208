import { describe, expect, it } from "vitest";
import { fifoPolicy } from "../src/policies/fifo.js";
import { timeSlicePolicy } from "../src/policies/time-slice.js";
import { formatResultsMarkdown } from "../src/sim/format-table.js";
import { familyConfig, simulateTrace, withoutAdmissionLimit } from "../src/sim/simulate-trace.js";
import { HELD_OUT_SEEDS, LIGHT_LOAD, TRACE_SHAPES, familyTrace } from "../src/sim/trace-family.js";

/** time_slice with preemption as tuned on the tuning seeds. */
const PAUSING = { max_drain_secs: 1, max_preemptions: 1 };

/**
 * Held-out seeds of the trace family (never used while tuning; run once after
 * the policy was frozen): the original llmux (fifo, every request let into
 * vLLM at once), time_slice drain-only and time_slice with preemption. The
 * issues' targets (#17: busy p99 ≤ 0.6× and switches ≤ 0.8× fifo's, the wait
 * bound kept; #18: the p99 of requests that waited for a switch ≤ 0.5× the
 * drain-only policy's) are NOT met; packages/core/README.md has the measured
 * ratios and why. What holds, and is asserted so it cannot regress: exact
 * accounting; neither time_slice loses a request; time_slice drains a small
 * share of the time where the original drains most of it; with preemption the
 * p99 stays within 1.1× (busy and overload) and 1.25× (light: the light
 * target, 1.05×, is missed on three of eight) of the original's, and the GPU
 * works at most 7% longer than drain-only.
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
        if (process.env.LLMUX_PRINT_TABLES === "1") console.log(`${family.name}\n${formatResultsMarkdown([fifo, drainOnly, pausing])}`);
        for (const result of [fifo, drainOnly, pausing]) expect(result.served + result.failed).toBe(family.requests.length);
        expect(drainOnly.failed).toBe(0);
        expect(pausing.failed).toBe(0);
        expect(drainOnly.paused).toBe(0);
        expect(pausing.paused).toBeGreaterThan(0);
        expect(drainOnly.drainShare).toBeLessThan(0.25);
        expect(fifo.drainShare).toBeGreaterThan(0.7);
        const light = family.shape.load <= LIGHT_LOAD;
        expect(pausing.latencyP99).toBeLessThanOrEqual((light ? 1.25 : 1.1) * fifo.latencyP99);
        expect(pausing.gpuBusySecs).toBeLessThanOrEqual(1.07 * drainOnly.gpuBusySecs);
      }, 180_000);
    }
  }
});
