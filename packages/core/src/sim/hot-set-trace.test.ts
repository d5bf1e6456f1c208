import { describe, expect, it } from "vitest";
import { hotSetTrace } from "./hot-set-trace.js";

const MODELS = Array.from({ length: 12 }, (_, index) => `m${index}`);

describe("hotSetTrace", () => {
  it("is the same trace for the same seed and another for another seed", () => {
    const options = { models: MODELS, durationSecs: 60, ratePerSec: 10 };
    expect(hotSetTrace({ ...options, seed: 3 })).toEqual(hotSetTrace({ ...options, seed: 3 }));
    expect(hotSetTrace({ ...options, seed: 4 })).not.toEqual(hotSetTrace({ ...options, seed: 3 }));
  });

  it("sends most traffic to a few models at a time, at about the asked rate, in arrival order", () => {
    const trace = hotSetTrace({
      models: MODELS,
      seed: 5,
      durationSecs: 200,
      ratePerSec: 10,
      hotCount: 4,
      periodSecs: 1e9,
      dominance: 0.95,
      minTokens: 10,
      maxTokens: 20,
    });
    expect(trace.length).toBeGreaterThan(1700);
    expect(trace.length).toBeLessThan(2300);
    expect(trace.every((request, index) => index === 0 || request.t >= (trace[index - 1]?.t ?? 0))).toBe(true);
    expect(trace.every((request) => request.tokens >= 10 && request.tokens < 20)).toBe(true);
    // One period over the whole trace: four models take the dominant share.
    const counts = new Map<string, number>();
    for (const request of trace) counts.set(request.model, (counts.get(request.model) ?? 0) + 1);
    const topFour = [...counts.values()]
      .sort((a, b) => b - a)
      .slice(0, 4)
      .reduce((sum, count) => sum + count, 0);
    expect(topFour / trace.length).toBeGreaterThan(0.93);
    expect(counts.size).toBeGreaterThan(4);
  });

  it("changes the hot set from period to period", () => {
    const trace = hotSetTrace({ models: MODELS, seed: 6, durationSecs: 400, ratePerSec: 10, hotCount: 2, periodSecs: 20, dominance: 1 });
    const early = new Set(trace.filter((request) => request.t < 5).map((request) => request.model));
    const seen = new Set(trace.map((request) => request.model));
    expect(early.size).toBeLessThanOrEqual(2);
    expect(seen.size).toBeGreaterThan(4);
  });
});
