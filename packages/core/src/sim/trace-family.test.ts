import { describe, expect, it } from "vitest";
import { DEFAULT_SIM_COSTS } from "./sim-engine.js";
import { DEFAULT_SIM_SERVICE } from "./sim-server.js";
import { measureTurns } from "./turn-capacity.js";
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

  it("with switching, counts the drain at every turn's end: well under the full batch's arithmetic", () => {
    const batch = familyCapacity(one);
    const six = { ...one, models: 6, level2Share: 0 };
    const switchSecs = (DEFAULT_SIM_COSTS.sleepMs[1] + DEFAULT_SIM_COSTS.wakeMs[1]) / 1000;
    const measured = measureTurns({ sampleTokens: () => 600, admitSecs: FAMILY_MAX_WAIT_SECS, switchSecs });
    expect(familyCapacity(six)).toBeLessThan((batch * FAMILY_MAX_WAIT_SECS) / (FAMILY_MAX_WAIT_SECS + switchSecs + measured.drainSecs));
    // Every turn ends in a switch, whatever the number of models.
    expect(familyCapacity({ ...six, models: 2 })).toBeCloseTo(familyCapacity(six), 6);
    // A longer max_wait_secs leaves more of each turn to serving.
    expect(familyCapacity(six, 120)).toBeGreaterThan(familyCapacity(six));
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

describe("measureTurns", () => {
  it("serves what the schedule allows, exactly, for fixed outputs", () => {
    // 400 tokens at 40/s + 200 ms prefill = 10.2 s: each of the 64 slots starts 6 generations by 60 s (the last at 51 s), the turn ends at 61.2 s.
    const measure = measureTurns({ sampleTokens: () => 400, admitSecs: 60, switchSecs: 10, turns: 5 });
    expect(measure.perTurn).toBe(64 * 6);
    expect(measure.turnSecs).toBeCloseTo(71.2, 6);
    expect(measure.drainSecs).toBeCloseTo(10.2, 6);
    expect(measure.throughput).toBeCloseTo((64 * 6) / 71.2, 6);
  });

  it("the shortest drain-only turn lasts as long as the longest generation of one batch", () => {
    const one = familyTrace("light", 1, { durationSecs: 1 }).shape;
    const measure = measureTurns({ sampleTokens: (random) => (random() < 0.02 ? 4096 : 300), admitSecs: 0, switchSecs: 0, turns: 50 });
    expect(measure.perTurn).toBe(DEFAULT_SIM_SERVICE.maxConcurrency);
    // 64 draws at 2% hold a 4,096-token one (102.6 s) about 73% of the time; otherwise the turn is 7.7 s.
    expect(measure.turnSecs).toBeGreaterThan(0.5 * 102.6);
    expect(one.maxOutputTokens).toBe(4096);
  });
});
