import type { SwitchRecord } from "@llmux/core";
import { afterEach, describe, expect, it } from "vitest";
import { FakeMux } from "./helpers/fake-mux.js";
import { FakeUpstream } from "./helpers/fake-upstream.js";
import { postJson, rawRequest } from "./helpers/http.js";
import { type StartedProxy, startProxy } from "./helpers/start-proxy.js";

/** The value of one sample line `name{labels} value`, labels given in exposition order. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics", () => {
  let upstream: FakeUpstream | undefined;
  let started: StartedProxy | undefined;

  afterEach(async () => {
    await started?.proxy.destroy();
    await upstream?.stop();
  });

  it("serves requests, switches, phases, escalations, restarts and states on metrics_port", async () => {
    upstream = new FakeUpstream();
    const mux = new FakeMux({ alpha: await upstream.start() });
    started = await startProxy(mux, ["alpha"], { metrics: true });
    expect(started.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    await postJson(started.url, "/v1/completions", { model: "alpha", prompt: "x" });
    await postJson(started.url, "/v1/completions", { model: "alpha", prompt: "x" });
    await postJson(started.url, "/v1/completions", { model: "ghost" });
    await started.waitRecords(3);
    const record: SwitchRecord = {
      id: 1,
      trigger: "request",
      from: ["beta"],
      to: "alpha",
      startedAt: 0,
      durationMs: 1500,
      result: "ok",
      phases: [
        { phase: "drain", model: "beta", durationMs: 100, ok: true },
        { phase: "sleep", model: "beta", durationMs: 400, level: 1, ok: true },
        { phase: "wake", model: "alpha", durationMs: 1000, level: 1, ok: true },
      ],
    };
    mux.emit({ type: "switch-end", record });
    mux.emit({ type: "escalation", model: "beta", at: 0, reason: "sleep timed out" });
    mux.emit({ type: "restart", model: "alpha", at: 0, restarts: 1 });
    mux.states.set("alpha", "waking");

    const response = await rawRequest(started.metricsUrl ?? "", { path: "/metrics" });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/plain/);
    const text = response.body;
    expect(sample(text, 'llmux_requests_total{model="alpha",status="200"}')).toBe(2);
    // Unknown model names from clients are not labels (bounded cardinality).
    expect(sample(text, 'llmux_requests_total{model="",status="404"}')).toBe(1);
    expect(sample(text, 'llmux_request_duration_seconds_count{model="alpha",status="200"}')).toBe(2);
    expect(sample(text, 'llmux_time_to_first_byte_seconds_count{model="alpha"}')).toBe(2);
    expect(sample(text, 'llmux_queue_wait_seconds_count{model="alpha"}')).toBe(2);
    expect(sample(text, 'llmux_in_flight_requests{model="alpha"}')).toBe(0);
    expect(sample(text, 'llmux_queue_depth{model="alpha"}')).toBe(0);
    expect(sample(text, 'llmux_switches_total{trigger="request",from="beta",to="alpha",result="ok"}')).toBe(1);
    expect(sample(text, 'llmux_switch_duration_seconds_sum{trigger="request",from="beta",to="alpha",result="ok"}')).toBe(1.5);
    expect(sample(text, 'llmux_switch_phase_duration_seconds_sum{phase="sleep",model="beta"}')).toBe(0.4);
    expect(sample(text, 'llmux_switch_phase_duration_seconds_count{phase="wake",model="alpha"}')).toBe(1);
    expect(sample(text, 'llmux_escalations_total{model="beta"}')).toBe(1);
    expect(sample(text, 'llmux_model_restarts_total{model="alpha"}')).toBe(1);
    expect(sample(text, 'llmux_model_state{model="alpha",state="waking"}')).toBe(1);
    expect(sample(text, 'llmux_model_state{model="alpha",state="awake"}')).toBe(0);
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect((await rawRequest(started.metricsUrl ?? "", { path: "/other" })).status).toBe(404);
  });

  it("keeps each proxy's registry separate", async () => {
    upstream = new FakeUpstream();
    const mux = new FakeMux({ alpha: await upstream.start() });
    started = await startProxy(mux, ["alpha"]);
    const other = await startProxy(mux, ["alpha"]);
    try {
      expect(other.metricsUrl).toBeUndefined();
      await postJson(started.url, "/v1/completions", { model: "alpha" });
      await started.waitRecords(1);
      expect(sample(await started.proxy.registry.metrics(), 'llmux_requests_total{model="alpha",status="200"}')).toBe(1);
      expect(sample(await other.proxy.registry.metrics(), 'llmux_requests_total{model="alpha",status="200"}')).toBeUndefined();
    } finally {
      await other.proxy.destroy();
    }
  });
});
