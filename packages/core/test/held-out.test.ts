import { describe, expect, it } from "vitest";
import { fifoPolicy } from "../src/policies/fifo.js";
import { timeSlicePolicy } from "../src/policies/time-slice.js";
import { formatResultsMarkdown } from "../src/sim/format-table.js";
import { familyConfig, simulateTrace } from "../src/sim/simulate-trace.js";
import { HELD_OUT_SEEDS, LIGHT_LOAD, TRACE_SHAPES, familyTrace } from "../src/sim/trace-family.js";

/**
 * The targets on the held-out seeds of the trace family (never used
 * while tuning): on busy traces time_slice's p99 latency is at most 0.6× and
 * its switches at most 0.8× fifo's; on light ones its p99 is at most 1.05×.
 */
describe("time_slice against fifo on held-out traces", () => {
  for (const shape of Object.keys(TRACE_SHAPES)) {
    for (const seed of HELD_OUT_SEEDS) {
      it(`${shape}@${seed}`, async () => {
        const family = familyTrace(shape, seed);
        const [fifo, timeSlice] = await simulateTrace({ trace: family.requests, config: familyConfig(family), policies: [fifoPolicy, timeSlicePolicy] });
        if (!fifo || !timeSlice) throw new Error("missing results");
        if (process.env.LLMUX_PRINT_TABLES === "1") console.log(`${family.name}\n${formatResultsMarkdown([fifo, timeSlice])}`);
        for (const result of [fifo, timeSlice]) expect(result.served + result.failed).toBe(family.requests.length);
        if (family.shape.load <= LIGHT_LOAD) {
          expect(timeSlice.latencyP99).toBeLessThanOrEqual(1.05 * fifo.latencyP99);
        } else {
          expect(timeSlice.latencyP99).toBeLessThanOrEqual(0.6 * fifo.latencyP99);
          expect(timeSlice.switches).toBeLessThanOrEqual(0.8 * fifo.switches);
        }
      }, 120_000);
    }
  }
});
