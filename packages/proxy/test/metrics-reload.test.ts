import { describe, expect, it } from "vitest";
import { postJson, rawRequest } from "./helpers/http.js";
import { postStream } from "./helpers/preemption-client.js";
import { type SimStack, useSimStack } from "./helpers/sim-stack.js";
import { until } from "./helpers/start-proxy.js";

/** The gauges that say what a model is doing now. */
const MODEL_GAUGES = ["llmux_queue_depth", "llmux_model_state", "llmux_model_drain_seconds", "llmux_in_flight_requests", "llmux_paused_requests"];

/** Sample lines of `/metrics` (`name{labels} value`), comments left out. */
async function scrape(stack: SimStack): Promise<string[]> {
  const text = (await rawRequest(stack.metricsUrl, { path: "/metrics" })).body;
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

function value(lines: string[], series: string): number | undefined {
  const line = lines.find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The model gauges' lines that name `model`. */
function gaugesOf(lines: string[], model: string): string[] {
  return lines.filter((line) => MODEL_GAUGES.some((name) => line.startsWith(`${name}{`)) && line.includes(`model="${model}"`));
}

/** What the reloader does: the multiplexer takes the config, then the proxy. */
function reload(stack: SimStack, models: string[]): void {
  const all = stack.config.models;
  stack.mux.reconfigure({ ...stack.config, models: Object.fromEntries(models.map((name) => [name, all[name]!])) });
  stack.proxy.reconfigure(stack.mux.config);
}

describe("metrics across a reload that removes a model", () => {
  const startStack = useSimStack();

  it("keeps a removed model's gauges live while it finishes its requests, drops them once it is gone, and keeps its counters", async () => {
    const fast = { VLLM_SIM_SLEEP1_MS: "50", VLLM_SIM_WAKE1_MS: "50", VLLM_SIM_STARTUP_MS: "100" };
    const current = await startStack(["alpha", "beta"], { sim: { alpha: fast, beta: { ...fast, VLLM_SIM_TOKENS_PER_SEC: "20" } } });
    expect((await postJson(current.url, "/v1/completions", { model: "alpha", prompt: "x", max_tokens: 2 })).status).toBe(200);
    // Beta answers slowly (2 s for 40 tokens), so it is still busy when the reload removes it.
    const slow = postStream(current.url, "/v1/completions", { model: "beta", prompt: "x", max_tokens: 40, stream: true });
    await until(() => slow.text.includes('"text"'), "beta's first token");
    const before = await scrape(current);
    expect(gaugesOf(before, "beta").length).toBeGreaterThan(0);

    reload(current, ["alpha"]);
    const draining = await scrape(current);
    // Still known to the multiplexer: its gauges go on saying what it does, not what it did.
    expect(value(draining, 'llmux_in_flight_requests{model="beta"}')).toBe(1);
    expect(value(draining, 'llmux_model_state{model="beta",state="awake"}')).toBe(1);
    expect(value(draining, 'llmux_queue_depth{model="beta"}')).toBe(0);
    expect((await postJson(current.url, "/v1/completions", { model: "beta", prompt: "x" })).status).toBe(404);

    expect(await slow.done).toContain("data: [DONE]");
    await until(() => !current.mux.snapshot().models.some((model) => model.name === "beta"), "beta stopped and removed");
    await until(() => current.records.length === 3, "three requests recorded");
    const gone = await scrape(current);
    expect(gaugesOf(gone, "beta")).toEqual([]);
    // Gone wherever it was counted in flight: nothing under "" and nothing left at -1.
    expect(gone.filter((line) => line.startsWith("llmux_in_flight_requests{"))).toEqual(['llmux_in_flight_requests{model="alpha"} 0']);
    expect(value(gone, 'llmux_model_state{model="alpha",state="stopped"}')).toBe(0);
    // History stays: the stream that finished during the drain counts under beta, and so does the stop the reload made.
    expect(value(gone, 'llmux_requests_total{model="beta",status="200"}')).toBe(1);
    expect(value(gone, 'llmux_requests_total{model="beta",status="404"}')).toBe(1);
    expect(gone.some((line) => line.startsWith('llmux_switches_total{trigger="reload",from="beta",to="",result="ok"}'))).toBe(true);
    expect(value(gone, 'llmux_switch_phase_duration_seconds_count{phase="stop",model="beta"}')).toBe(1);

    // Added again: its gauges are back, from a fresh state.
    reload(current, ["alpha", "beta"]);
    const back = await scrape(current);
    expect(value(back, 'llmux_model_state{model="beta",state="stopped"}')).toBe(1);
    expect(value(back, 'llmux_in_flight_requests{model="beta"}')).toBe(0);
    expect(value(back, 'llmux_queue_depth{model="beta"}')).toBe(0);
  }, 90_000);
});
