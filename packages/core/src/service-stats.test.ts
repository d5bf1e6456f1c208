import { describe, expect, it } from "vitest";
import { ServiceStats } from "./service-stats.js";
import { seededRandom } from "./sim/generate-trace.js";

/** The mean of the last 200 samples, summed afresh. */
function naiveMean(samples: number[]): number {
  const window = samples.slice(-200);
  return window.reduce((sum, sample) => sum + sample, 0) / window.length;
}

describe("ServiceStats", () => {
  it("keeps output lengths and the decode rate from leases that report completion tokens", () => {
    const stats = new ServiceStats();
    for (let i = 1; i <= 20; i++) stats.recordLease(i * 100, i * 10);
    stats.recordLease(5_000);
    const summary = stats.summary();
    expect(summary).toMatchObject({ leases: 21, reported: 20, outputTokensP50: 100, outputTokensP90: 180 });
    expect(summary.msPerToken).toBeCloseTo(10, 6);
    expect(stats.heldMean()).toBeCloseTo((21_000 + 5_000) / 21, 6);
  });

  it("keeps the mean lease equal to the mean of the last 200, summed afresh, through evictions", () => {
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed);
      const stats = new ServiceStats();
      const held: number[] = [];
      // Fractional durations spanning six orders of magnitude, so any drift of the running sum would show.
      for (let i = 0; i < 1_500; i++) {
        const ms = random() < 0.1 ? random() * 600_000 : random() * 3_000 + random();
        stats.recordLease(ms);
        held.push(ms);
        const mean = stats.heldMean();
        if (held.length < 20) expect(mean).toBeNull();
        else expect(Math.abs((mean ?? Number.NaN) - naiveMean(held))).toBeLessThanOrEqual(naiveMean(held) * 1e-12);
      }
    }
  });

  it("keeps the mean exact for whole-millisecond leases", () => {
    const random = seededRandom(7);
    const stats = new ServiceStats();
    const held: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const ms = Math.floor(random() * 100_000);
      stats.recordLease(ms);
      held.push(ms);
      if (held.length >= 20) expect(stats.heldMean()).toBe(naiveMean(held));
    }
  });

  it("takes the plan's error only from requests that went in since the given time, so a late turn ages out", () => {
    const stats = new ServiceStats();
    stats.recordPlanError(107_000, 1_000);
    stats.recordPlanError(-5_000, 600_000);
    stats.recordPlanError(20_000, 700_000);
    expect(stats.planErrorMs(0)).toBe(107_000);
    expect(stats.planErrorMs(1_001)).toBe(20_000);
    expect(stats.planErrorMs(700_001)).toBe(0);
    // Only the last 200 count: the 107 s error is pushed out by later, earlier-than-planned ones.
    for (let i = 0; i < 200; i++) stats.recordPlanError(-1_000, 800_000 + i);
    expect(stats.planErrorMs(0)).toBe(0);
  });
});
