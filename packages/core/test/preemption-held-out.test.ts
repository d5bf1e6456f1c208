import { describe, expect, it } from "vitest";
import { timeSlicePolicy } from "../src/policies/time-slice.js";
import { familyConfig, simulateTrace } from "../src/sim/simulate-trace.js";
import { HELD_OUT_SEEDS, TRACE_SHAPES, familyTrace } from "../src/sim/trace-family.js";

/**
 * Held-out seeds, time_slice drain-only against time_slice with preemption
 * (`max_drain_secs` 1): the target (p99 ≤ 0.5× with ≤ 5% more GPU
 * time) is NOT met on these overloaded traces; the measured ratios are in
 * packages/core/README.md. What holds and is asserted: exact accounting,
 * no request lost, every pause resumed, and at most 5% more GPU time.
 */
describe("preemption on held-out traces (time_slice)", () => {
  for (const shape of Object.keys(TRACE_SHAPES)) {
    for (const seed of HELD_OUT_SEEDS) {
      it(`${shape}@${seed}`, async () => {
        const family = familyTrace(shape, seed);
        const [drainOnly] = await simulateTrace({ trace: family.requests, config: familyConfig(family), policies: [timeSlicePolicy] });
        const [preempting] = await simulateTrace({ trace: family.requests, config: familyConfig(family, { max_drain_secs: 1 }), policies: [timeSlicePolicy] });
        if (!drainOnly || !preempting) throw new Error("missing results");
        if (process.env.LLMUX_PRINT_TABLES === "1") {
          const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "-");
          console.log(
            `| ${family.name} | ${drainOnly.latencyP99.toFixed(1)} | ${preempting.latencyP99.toFixed(1)} | ${ratio(preempting.latencyP99, drainOnly.latencyP99)} | ${drainOnly.waitP99.toFixed(1)} | ${preempting.waitP99.toFixed(1)} | ${ratio(preempting.gpuBusySecs, drainOnly.gpuBusySecs)} | ${drainOnly.switches} | ${preempting.switches} | ${preempting.paused} | ${preempting.failed} |`,
          );
        }
        expect(drainOnly.paused).toBe(0);
        expect(preempting.served + preempting.failed).toBe(family.requests.length);
        expect(preempting.failed).toBe(0);
        expect(preempting.served).toBe(family.requests.length);
        expect(preempting.paused).toBeGreaterThan(0);
        expect(preempting.gpuBusySecs).toBeLessThanOrEqual(1.05 * drainOnly.gpuBusySecs);
      }, 120_000);
    }
  }
});
