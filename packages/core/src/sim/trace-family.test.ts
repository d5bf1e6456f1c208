import { describe, expect, it } from "vitest";
import { DEFAULT_SIM_COSTS } from "./sim-engine.js";
import { DEFAULT_SIM_SERVICE } from "./sim-server.js";
import { FAMILY_MAX_WAIT_SECS, LIGHT_LOAD, OVERLOAD, TRACE_SHAPES, TUNING_SEEDS, familyCapacity, familyTrace } from "./trace-family.js";

describe("the trace family's capacity", () => {
  const one = familyTrace("zipf-six", TUNING_SEEDS[0] ?? 1, { models: 1, burstiness: 0 }).shape;

  it("is the batched rate for one model: a full batch over the mean service time", () => {
    const rate = familyCapacity(one);
    // Mean output of the capped lognormal (median 300, sigma 1.2) is about 600 tokens: ~15 s at 40 tokens/s.
    const meanServiceSecs = DEFAULT_SIM_SERVICE.maxConcurrency / rate;
    expect(meanServiceSecs).toBeGreaterThan(13);
    expect(meanServiceSecs).toBeLessThan(18);
  });

  it("counts one switch per model per round of max_wait_secs + the round's switches", () => {
    const batch = familyCapacity(one);
    const six = { ...one, models: 6, level2Share: 0 };
    const switchSecs = (DEFAULT_SIM_COSTS.sleepMs[1] + DEFAULT_SIM_COSTS.wakeMs[1]) / 1000;
    expect(familyCapacity(six)).toBeCloseTo((batch * FAMILY_MAX_WAIT_SECS) / (FAMILY_MAX_WAIT_SECS + 6 * switchSecs), 6);
    expect(familyCapacity({ ...six, models: 2 })).toBeGreaterThan(familyCapacity(six));
    // A longer max_wait_secs leaves more of each round to serving.
    expect(familyCapacity(six, 600)).toBeGreaterThan(familyCapacity(six));
  });

  it("makes the load a share of that capacity: the generated rate follows it", () => {
    for (const load of [0.25, 0.75]) {
      const family = familyTrace("zipf-six", TUNING_SEEDS[1] ?? 2, { burstiness: 0, load, durationSecs: 3600 });
      const rate = family.requests.length / family.shape.durationSecs;
      expect(rate / familyCapacity(family.shape)).toBeGreaterThan(load * 0.93);
      expect(rate / familyCapacity(family.shape)).toBeLessThan(load * 1.07);
    }
  });

  it("has light, busy and overload members", () => {
    const loads = Object.keys(TRACE_SHAPES).map((name) => familyTrace(name, 1, { durationSecs: 1 }).shape.load);
    expect(loads.some((load) => load <= LIGHT_LOAD)).toBe(true);
    expect(loads.some((load) => load > LIGHT_LOAD && load <= OVERLOAD)).toBe(true);
    expect(loads.some((load) => load > OVERLOAD)).toBe(true);
  });
});
