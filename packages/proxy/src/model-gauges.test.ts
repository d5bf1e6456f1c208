import { describe, expect, it } from "vitest";
import { ProxyMetrics } from "./metrics.js";
import type { ModelGaugeView } from "./model-gauges.js";
import { MODEL_STATES } from "./model-states.js";

/** The sample lines of the per-model gauges that name `model`. */
async function gaugeLines(metrics: ProxyMetrics, model: string): Promise<string[]> {
  const names = ["llmux_queue_depth", "llmux_model_state", "llmux_model_drain_seconds", "llmux_in_flight_requests", "llmux_paused_requests"];
  return (await metrics.registry.metrics())
    .split("\n")
    .filter((line) => names.some((name) => line.startsWith(`${name}{`)) && line.includes(`model="${model}"`))
    .filter((line) => !line.startsWith("llmux_model_state{") || line.endsWith(" 1"));
}

describe("per-model gauges of a removed model", () => {
  it("go once the multiplexer no longer knows the model, except in-flight and paused counts, which wait for their last request", async () => {
    const views = new Map<string, ModelGaugeView>([
      ["alpha", { state: "asleep", queueDepth: 0 }],
      ["beta", { state: "awake", queueDepth: 2, drain: { avg_ms: 500, p90_ms: 900 } }],
    ]);
    const metrics = new ProxyMetrics({ models: ["alpha", "beta"], states: MODEL_STATES, view: (model) => views.get(model), version: "test" });
    metrics.primeModels();
    metrics.inFlightStarted("beta");
    metrics.preemption.pausedNow("beta", 1);
    metrics.preemption.pausedNow("alpha", 0);
    expect(await gaugeLines(metrics, "beta")).toEqual([
      'llmux_paused_requests{model="beta"} 1',
      'llmux_in_flight_requests{model="beta"} 1',
      'llmux_queue_depth{model="beta"} 2',
      'llmux_model_state{model="beta",state="awake"} 1',
      'llmux_model_drain_seconds{model="beta",stat="avg"} 0.5',
      'llmux_model_drain_seconds{model="beta",stat="p90"} 0.9',
    ]);

    // Removed by a reload, still draining: the multiplexer still shows it.
    metrics.setModels(["alpha"]);
    views.set("beta", { state: "draining", queueDepth: 0 });
    expect(await gaugeLines(metrics, "beta")).toContain('llmux_model_state{model="beta",state="draining"} 1');

    // Stopped and gone from the multiplexer; one request still ends and one paused request is still held.
    views.delete("beta");
    expect(await gaugeLines(metrics, "beta")).toEqual(['llmux_paused_requests{model="beta"} 1', 'llmux_in_flight_requests{model="beta"} 1']);
    metrics.inFlightEnded("beta");
    metrics.preemption.pausedNow("beta", 0);
    expect(await gaugeLines(metrics, "beta")).toEqual([]);
    expect(await gaugeLines(metrics, "alpha")).toEqual([
      'llmux_paused_requests{model="alpha"} 0',
      'llmux_in_flight_requests{model="alpha"} 0',
      'llmux_queue_depth{model="alpha"} 0',
      'llmux_model_state{model="alpha",state="asleep"} 1',
    ]);

    // A name once configured keeps labelling its counters; one never configured is "".
    metrics.observeRequest({ model: "beta", status: 404, durationMs: 1 });
    metrics.observeRequest({ model: "ghost", status: 404, durationMs: 1 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('llmux_requests_total{model="beta",status="404"} 1');
    expect(text).toContain('llmux_requests_total{model="",status="404"} 1');
  });
});
