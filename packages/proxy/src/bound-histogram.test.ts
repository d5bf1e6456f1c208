import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { BoundHistogram } from "./bound-histogram.js";

const BUCKETS = [0.005, 0.1, 1, 10];
const SAMPLES: Array<[string, string, number]> = [
  ["a", "200", 0.001],
  ["a", "200", 0.005],
  ["a", "200", 0.5],
  ["a", "404", 20],
  ["", "200", 1],
  ["a", "200", 10],
];

describe("BoundHistogram", () => {
  it("renders exactly what prom-client's Histogram renders for the same observations, with its counts as a counter", async () => {
    const theirs = new Registry();
    const reference = new Histogram({ name: "x_seconds", help: "h", labelNames: ["model", "status"], buckets: BUCKETS, registers: [theirs] });
    const ours = new Registry();
    const bound = new BoundHistogram({ name: "x_seconds", help: "h", buckets: BUCKETS, registry: ours });
    bound.countsAs({ name: "x_total", help: "c", registry: ours });
    for (const [model, status, value] of SAMPLES) {
      reference.observe({ model, status }, value);
      bound.series({ model, status }).observe(value);
    }
    const text = await ours.metrics();
    const [histogramPart, counterPart] = text.split("# HELP x_total");
    expect(`${histogramPart?.trimEnd()}\n`).toBe(`${(await theirs.metrics()).trimEnd()}\n`);
    expect(counterPart).toContain('x_total{model="a",status="200"} 4');
    expect(counterPart).toContain('x_total{model="a",status="404"} 1');
    expect(counterPart).toContain('x_total{model="",status="200"} 1');
    const json = await ours.getMetricsAsJSON();
    const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
    expect(plain(json[0]?.values)).toEqual(plain((await theirs.getMetricsAsJSON())[0]?.values));
  });

  it("binds a label set once and zeroes on reset", async () => {
    const registry = new Registry();
    const bound = new BoundHistogram({ name: "y_seconds", help: "h", buckets: BUCKETS, registry });
    const series = bound.series({ model: "m" });
    expect(bound.series({ model: "m" })).toBe(series);
    series.observe(2);
    registry.resetMetrics();
    series.observe(0.05);
    const text = await registry.metrics();
    expect(text).toContain('y_seconds_count{model="m"} 1');
    expect(text).toContain('y_seconds_bucket{le="0.1",model="m"} 1');
  });
});
