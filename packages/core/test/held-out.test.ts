import { describe, expect, it } from "vitest";
import { fifoPolicy } from "../src/policies/fifo.js";
import { timeSlicePolicy } from "../src/policies/time-slice.js";
import { formatResultsMarkdown } from "../src/sim/format-table.js";
import { familyConfig, simulateTrace, withoutAdmissionLimit } from "../src/sim/simulate-trace.js";
import { HELD_OUT_SEEDS, LIGHT_LOAD, TRACE_SHAPES, familyTrace } from "../src/sim/trace-family.js";

/**
 * Held-out seeds of the trace family (never used while tuning), time_slice
 * (with llmux holding the queue) against the original llmux (fifo, every
 * request let into vLLM at once). The targets (busy traces: p99
 * latency ≤ 0.6× and switches ≤ 0.8× fifo's) are NOT met: the measured
 * ratios are 0.84–1.10× and 0.73–0.94× (packages/core/README.md explains
 * why). What holds, and is asserted so it cannot regress: exact accounting;
 * time_slice loses no request (the original llmux cuts some off at the
 * drain timeout); it drains a small share of the time where the original
 * drains most of it; it never switches more; its p99 stays within 1.15×
 * (busy) and 1.05× (light) of the original's.
 */
describe("time_slice against the original llmux on held-out traces", () => {
  for (const shape of Object.keys(TRACE_SHAPES)) {
    for (const seed of HELD_OUT_SEEDS) {
      it(`${shape}@${seed}`, async () => {
        const family = familyTrace(shape, seed);
        const config = familyConfig(family);
        const [fifo] = await simulateTrace({ trace: family.requests, config: withoutAdmissionLimit(config), policies: [fifoPolicy] });
        const [timeSlice] = await simulateTrace({ trace: family.requests, config, policies: [timeSlicePolicy] });
        if (!fifo || !timeSlice) throw new Error("missing results");
        if (process.env.LLMUX_PRINT_TABLES === "1") console.log(`${family.name}\n${formatResultsMarkdown([fifo, timeSlice])}`);
        for (const result of [fifo, timeSlice]) expect(result.served + result.failed).toBe(family.requests.length);
        expect(timeSlice.failed).toBe(0);
        expect(timeSlice.switches).toBeLessThanOrEqual(fifo.switches);
        expect(timeSlice.drainShare).toBeLessThan(0.25);
        expect(fifo.drainShare).toBeGreaterThan(0.8);
        const light = family.shape.load <= LIGHT_LOAD;
        expect(timeSlice.latencyP99).toBeLessThanOrEqual((light ? 1.05 : 1.15) * fifo.latencyP99);
      }, 120_000);
    }
  }
});
