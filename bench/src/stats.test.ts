import { describe, expect, it } from "vitest";
import { mean, percentile, ratio, trendPercent } from "./stats.js";

describe("percentile", () => {
  it("uses the nearest rank, so figures are observed values", () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(5);
    expect(percentile(values, 99)).toBe(5);
    expect(percentile(values, 20)).toBe(1);
    expect(percentile(values, 21)).toBe(2);
  });

  it("takes the 99th of 1000 values as the 990th smallest", () => {
    const values = Array.from({ length: 1000 }, (_, index) => 1000 - index);
    expect(percentile(values, 99)).toBe(990);
    expect(percentile(values, 50)).toBe(500);
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it("gives NaN for no values and rejects out-of-range ranks", () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe("mean and ratio", () => {
  it("computes the mean", () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(mean([])).toBeNaN();
  });

  it("gives NaN instead of Infinity or a fake figure", () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(undefined, 2)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });
});

describe("trendPercent", () => {
  it("is the fitted line's rise over the run, relative to its start", () => {
    expect(trendPercent([100, 110, 120])).toBeCloseTo(20, 10);
    expect(trendPercent([100, 100, 100, 100])).toBe(0);
  });

  it("ignores a swing that has no direction, unlike first against last", () => {
    const sawtooth = [100, 140, 100, 140, 100, 140, 100, 140, 100, 140, 100];
    expect(trendPercent(sawtooth)).toBeCloseTo(0, 0);
    expect(Math.abs(trendPercent(sawtooth))).toBeLessThan(5);
    expect(trendPercent([140, 100, 100, 100, 100, 100, 100, 100, 100, 140])).toBeCloseTo(0, 5);
  });

  it("has no value without two samples", () => {
    expect(trendPercent([5])).toBeNaN();
  });
});
