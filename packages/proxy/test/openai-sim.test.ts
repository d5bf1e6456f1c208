import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { postJson, rawRequest } from "./helpers/http.js";
import { type SimStack, useSimStack } from "./helpers/sim-stack.js";
import { parseStatus } from "./status-schema.js";

/** A response without the fields that differ between two calls (ids, timestamps). */
function stable<T extends object>(value: T): Omit<T, "id" | "created"> {
  const { id: _id, created: _created, ...rest } = value as T & { id?: unknown; created?: unknown };
  return rest;
}

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("the openai client against llmux with vllm-sim upstreams", () => {
  const startStack = useSimStack("file");
  let stack: SimStack;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startStack(["alpha", "beta"]);
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 60_000 });
  }, 60_000);

  it("chat completions: the same answer as from vLLM directly", async () => {
    const request = { model: "alpha", messages: [{ role: "user" as const, content: "Say hello" }], max_tokens: 12, temperature: 0, seed: 42 };
    const viaLlmux = await client.chat.completions.create(request);
    expect(viaLlmux.id).toMatch(/^chatcmpl-/);
    expect(viaLlmux.object).toBe("chat.completion");
    const direct = new OpenAI({ baseURL: `${stack.simUrl("alpha")}/v1`, apiKey: "unused", maxRetries: 0 });
    const fromVllm = await direct.chat.completions.create(request);
    expect(stable(viaLlmux)).toEqual(stable(fromVllm));
  });

  it("completions, streaming: chunks as vLLM sends them, ending like the non-streamed answer", async () => {
    const request = { model: "alpha", prompt: "Once upon a time", max_tokens: 10, temperature: 0 };
    const whole = await client.completions.create(request);
    expect(whole.object).toBe("text_completion");
    const stream = await client.completions.create({ ...request, stream: true });
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.text ?? "";
    }
    expect(chunks).toBeGreaterThan(1);
    expect(text).toBe(whole.choices[0]?.text);
  });

  it("chat, streaming: first delta has the assistant role, usage comes last", async () => {
    const stream = await client.chat.completions.create({
      model: "alpha",
      messages: [{ role: "user", content: "Count" }],
      max_tokens: 8,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: "assistant" });
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("embeddings", async () => {
    const response = await client.embeddings.create({ model: "alpha", input: "hello" });
    expect(response.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it("an error response from vLLM reaches the client as vLLM sent it", async () => {
    const bad = { model: "alpha", messages: [{ role: "user", content: "x" }], stream_options: { include_usage: true } };
    const viaLlmux = await postJson(stack.url, "/v1/chat/completions", bad);
    const fromVllm = await postJson(stack.simUrl("alpha"), "/v1/chat/completions", bad);
    expect(viaLlmux.status).toBe(400);
    expect(viaLlmux.status).toBe(fromVllm.status);
    expect(viaLlmux.body).toBe(fromVllm.body);
    await expect(client.chat.completions.create(bad as never)).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("an unknown model is a NotFoundError with vLLM's wording", async () => {
    const error = await client.chat.completions.create({ model: "ghost", messages: [{ role: "user", content: "x" }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).message).toContain("The model `ghost` does not exist.");
  });

  it("lists models from the config with their states", async () => {
    const models = await client.models.list();
    const states = Object.fromEntries(models.data.map((model) => [model.id, (model as unknown as { llmux_state: string }).llmux_state]));
    expect(states).toEqual({ alpha: "awake", beta: "stopped" });
  });

  it("never forwards vLLM's admin routes", async () => {
    for (const path of ["/sleep?level=1", "/collective_rpc", "/_sim/fault"]) {
      const response = await postJson(stack.url, path, { method: "reload_weights", fault: "crash" });
      expect(response.status, path).toBe(404);
    }
    const stats = JSON.parse((await rawRequest(stack.simUrl("alpha"), { path: "/_sim/stats" })).body) as { sleeps: number; sleeping: boolean };
    expect(stats).toMatchObject({ sleeps: 0, sleeping: false });
  });

  it("switches models on demand, and /metrics shows the switch, its phases and the requests", async () => {
    const answer = await client.chat.completions.create({ model: "beta", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
    expect(answer.model).toBe("beta");
    const back = await client.chat.completions.create({ model: "alpha", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
    expect(back.model).toBe("alpha");
    // No request ever reached a sleeping simulator, and nothing slept with requests running.
    for (const model of ["alpha", "beta"]) expect(stack.events(model).filter((event) => event.event === "crash")).toEqual([]);

    const metrics = (await rawRequest(stack.metricsUrl, { path: "/metrics" })).body;
    expect(sample(metrics, 'llmux_switches_total{trigger="request",from="alpha",to="beta",result="ok"}')).toBe(1);
    expect(sample(metrics, 'llmux_switches_total{trigger="request",from="beta",to="alpha",result="ok"}')).toBe(1);
    expect(sample(metrics, 'llmux_switch_duration_seconds_count{trigger="request",from="alpha",to="beta",result="ok"}')).toBe(1);
    expect(sample(metrics, 'llmux_switch_phase_duration_seconds_count{phase="sleep",model="alpha"}')).toBe(1);
    expect(sample(metrics, 'llmux_switch_phase_duration_seconds_count{phase="start",model="beta"}')).toBe(1);
    expect(sample(metrics, 'llmux_switch_phase_duration_seconds_count{phase="wake",model="alpha"}')).toBe(1);
    expect(sample(metrics, 'llmux_model_state{model="alpha",state="awake"}')).toBe(1);
    expect(sample(metrics, 'llmux_model_state{model="beta",state="asleep"}')).toBe(1);
    expect(sample(metrics, 'llmux_requests_total{model="beta",status="200"}')).toBe(1);
    expect(sample(metrics, 'llmux_requests_total{model="",status="404"}')).toBe(4);
    expect(sample(metrics, 'llmux_queue_wait_seconds_count{model="beta"}')).toBe(1);
    expect(sample(metrics, 'llmux_in_flight_requests{model="alpha"}')).toBe(0);
    expect(sample(metrics, 'llmux_queue_depth{model="beta"}')).toBe(0);

    const status = parseStatus(JSON.parse((await rawRequest(stack.url, { path: "/llmux/status" })).body));
    expect(status.models.map((model) => [model.name, model.state])).toEqual([
      ["alpha", "awake"],
      ["beta", "asleep"],
    ]);
    expect(status.switches.filter((record) => record.result === "ok").map((record) => [record.from, record.to])).toContainEqual([["alpha"], "beta"]);
  });
});
