import { POLICIES, familyConfig, familyTrace, simulateTrace, withoutAdmissionLimit } from "@llmux/core";
import { describe, expect, it } from "vitest";
import { conflict, forcedLate, generationLowerBound, switchLowerBound } from "./lower-bound.js";

describe("lower bounds on any policy's p99", () => {
  it("a request's own generation time", () => {
    const trace = Array.from({ length: 100 }, (_, i) => ({ t: i, model: "a", tokens: 40 * (i + 1) }));
    // Nearest rank: the 99th of 100, 3,960 tokens at 40 tokens/s and a 200 ms prefill.
    expect(generationLowerBound(trace)).toBeCloseTo(99.2, 6);
  });

  it("two models' generations that cannot share the GPU in time", () => {
    // Both arrive together: 100 s each, one after the other with a switch between.
    expect(conflict(100, 100, 0, 200.5, 1)).toBe(true);
    expect(conflict(100, 100, 0, 201, 1)).toBe(false);
    // 60 s apart: each has 60 s the other's window lacks; the rest (40 + 40 + the switch) fits in an overlap of 100.
    expect(conflict(100, 100, 60, 160, 1)).toBe(false);
    expect(conflict(100, 100, 60, 140, 1)).toBe(true);
    // Disjoint windows never conflict; neither does one that fits in its own part.
    expect(conflict(100, 100, 150, 150, 1)).toBe(false);
    expect(conflict(30, 100, 40, 110, 50)).toBe(false);
    // Two 100.2 s generations of different models arriving together: the later ends after 100.2 + 1.3 (the cheapest switch) + 100.2 s.
    const pair = [
      { t: 0, model: "a", tokens: 4000 },
      { t: 0, model: "b", tokens: 4000 },
    ];
    expect(switchLowerBound(pair)).toBe(201);
    // Three models within 2 s: pairs say 200 s, the stretch from 0 to 5 s + L holds all three windows: 3 × 100.2 + 2 × 1.3 ≤ 5 + L.
    const three = ["a", "b", "c"].map((model, t) => ({ t, model, tokens: 4000 }));
    expect(switchLowerBound(three)).toBe(298);
    expect(
      switchLowerBound([
        { t: 0, model: "a", tokens: 4000 },
        { t: 0, model: "a", tokens: 4000 },
      ]),
    ).toBeCloseTo(100.2, 6);
  });

  it("counts the requests a stretch of time cannot hold on time", () => {
    const three = ["a", "b", "c"].map((model) => ({ model, secs: 100 }));
    // Three models one after the other need 100 + 1 + 100 + 1 + 100 s: 302 do not fit in 250, 201 do (one dropped).
    expect(forcedLate(three, 250, 64, 1, 5)).toBe(1);
    expect(forcedLate(three, 302, 64, 1, 5)).toBe(0);
    expect(forcedLate(three, 50, 64, 1, 5)).toBe(3);
    // One model's work over 64 slots: 130 generations of 10 s need 20.3 s; 128 fit in 20.
    const many = Array.from({ length: 130 }, () => ({ model: "a", secs: 10 }));
    expect(forcedLate(many, 20, 64, 1, 5)).toBe(2);
    // Past the cap it stops counting.
    expect(forcedLate(many, 5, 64, 1, 5)).toBe(6);
  });

  it("stays at or below what every policy reached in the simulator", async () => {
    for (const shape of ["light-two", "long-tails"]) {
      const family = familyTrace(shape, 1, { durationSecs: 600 });
      const bound = switchLowerBound(family.requests);
      expect(bound).toBeGreaterThan(generationLowerBound(family.requests));
      const runs = [
        { config: withoutAdmissionLimit(familyConfig(family)), policy: POLICIES.fifo },
        { config: familyConfig(family), policy: POLICIES.time_slice },
        { config: familyConfig(family, { max_wait_secs: 15, max_drain_secs: 0 }), policy: POLICIES.time_slice },
        { config: familyConfig(family, { max_wait_secs: 15, drain_before_switch: false }), policy: POLICIES.time_slice },
        { config: familyConfig(family), policy: POLICIES.cost_aware },
      ];
      for (const { config, policy } of runs) {
        const [result] = await simulateTrace({ trace: family.requests, config, policies: [policy] });
        expect(result?.latencyP99).toBeGreaterThanOrEqual(bound);
      }
    }
  }, 240_000);
});
