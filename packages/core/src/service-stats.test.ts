import { describe, expect, it } from "vitest";
import { ServiceStats } from "./service-stats.js";

describe("ServiceStats", () => {
  it("reads the queue's pace from a line fitted to queued requests' waits against their places, once 20 left the queue", () => {
    const stats = new ServiceStats();
    // A fixed 5 s (waiting for the model's turn) and 1 s per place ahead.
    for (let i = 0; i < 19; i++) stats.recordQueued(5_000 + 1_000 * ((i % 6) + 1), (i % 6) + 1);
    expect(stats.queueWaitAt(10)).toBeNull();
    stats.recordQueued(7_000, 2);
    expect(stats.queueWaitAt(10)).toBeCloseTo(15_000, 6);
    expect(stats.queueWaitAt(1)).toBeCloseTo(6_000, 6);
  });

  it("keeps output lengths and the decode rate from leases that report completion tokens", () => {
    const stats = new ServiceStats();
    for (let i = 1; i <= 20; i++) stats.recordLease(i * 100, i * 10);
    stats.recordLease(5_000);
    const summary = stats.summary();
    expect(summary).toMatchObject({ leases: 21, reported: 20, outputTokensP50: 100, outputTokensP90: 180 });
    expect(summary.msPerToken).toBeCloseTo(10, 6);
    expect(stats.heldMean()).toBeCloseTo((21_000 + 5_000) / 21, 6);
  });
});
