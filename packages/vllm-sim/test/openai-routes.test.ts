import { describe, expect, it } from "vitest";
import { chatBody, chatText, postJson, readSse, useSims } from "./helpers.js";

describe("OpenAI-compatible routes", () => {
  const sim = useSims();

  it("serves /health, /version and vLLM's model cards", async () => {
    const s = await sim({ modelPath: "org/some-model", args: ["--served-model-name", "alpha", "beta", "--max-model-len", "2048"] });
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe("");
    expect(await (await fetch(`${s.url}/version`)).json()).toEqual({ version: "0.13.0" });
    const models = (await (await fetch(`${s.url}/v1/models`)).json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(models.object).toBe("list");
    expect(models.data.map((card) => card.id)).toEqual(["alpha", "beta"]);
    expect(models.data[0]).toMatchObject({ object: "model", owned_by: "vllm", root: "org/some-model", parent: null, max_model_len: 2048 });
    expect(Array.isArray(models.data[0]?.permission)).toBe(true);
  });

  it("answers chat completions deterministically per model and input", async () => {
    const a = await sim({ model: "model-a" });
    const b = await sim({ model: "model-b" });
    const first = await postJson(`${a.url}/v1/chat/completions`, chatBody("model-a", "hello there"));
    expect(first.status).toBe(200);
    const body = (await first.json()) as Record<string, any>;
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("model-a");
    expect(body.choices[0].message.role).toBe("assistant");
    expect(body.usage).toEqual({
      prompt_tokens: expect.any(Number),
      completion_tokens: expect.any(Number),
      total_tokens: body.usage.prompt_tokens + body.usage.completion_tokens,
      prompt_tokens_details: null,
    });
    const text = body.choices[0].message.content as string;
    expect(text.startsWith("[model-a]")).toBe(true);
    // Same model and input: same text; another model or input: different text.
    expect(await chatText(await postJson(`${a.url}/v1/chat/completions`, chatBody("model-a", "hello there")))).toBe(text);
    expect(await chatText(await postJson(`${a.url}/v1/chat/completions`, chatBody("model-a", "other input")))).not.toBe(text);
    const fromB = await chatText(await postJson(`${b.url}/v1/chat/completions`, chatBody("model-b", "hello there")));
    expect(fromB.startsWith("[model-b]")).toBe(true);
    expect(fromB.split(" ").slice(1)).not.toEqual(text.split(" ").slice(1));
  });

  it("honours max_tokens (default 16) and reports the finish reason", async () => {
    const s = await sim({ model: "m" });
    const one = (await (await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x", { max_tokens: 1 }))).json()) as Record<string, any>;
    expect(one.choices[0].message.content).toBe("[m]");
    expect(one.choices[0].finish_reason).toBe("length");
    expect(one.usage.completion_tokens).toBe(1);
    const plenty = (await (await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x", { max_tokens: 500 }))).json()) as Record<string, any>;
    expect(plenty.choices[0].finish_reason).toBe("stop");
    const forced = (await (await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x", { max_tokens: 100, ignore_eos: true }))).json()) as Record<
      string,
      any
    >;
    expect(forced.usage.completion_tokens).toBe(100);
    expect(forced.choices[0].finish_reason).toBe("length");
    const completion = (await (await postJson(`${s.url}/v1/completions`, { model: "m", prompt: "once upon", temperature: 0 })).json()) as Record<string, any>;
    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.object).toBe("text_completion");
    expect(completion.usage.completion_tokens).toBeLessThanOrEqual(16);
    expect(completion.choices[0].text.split(" ").length).toBe(completion.usage.completion_tokens);
  });

  it("streams chat with a role chunk, a usage chunk with stream_options, then [DONE]", async () => {
    const s = await sim({ model: "m" });
    const response = await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "stream me", { stream: true, max_tokens: 5, stream_options: {} }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readSse(response);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1) as Array<Record<string, any>>;
    expect(chunks[0]?.choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk" && chunk.id === chunks[0]?.id)).toBe(true);
    const usage = chunks.at(-1) as Record<string, any>;
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBe(5);
    const content = chunks.slice(1, -1).map((chunk) => chunk.choices[0].delta.content as string);
    expect(content).toHaveLength(5);
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe("length");
    const whole = await chatText(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "stream me", { max_tokens: 5 })));
    expect(content.join("")).toBe(whole);
  });

  it("streams without a usage chunk when stream_options is absent, and streams completions", async () => {
    const s = await sim({ model: "m" });
    const chat = (await readSse(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "a", { stream: true, max_tokens: 3 })))) as Array<any>;
    expect(chat.some((chunk) => chunk !== "[DONE]" && chunk.usage)).toBe(false);
    const completion = (await readSse(
      await postJson(`${s.url}/v1/completions`, { model: "m", prompt: "a", stream: true, max_tokens: 3, stream_options: { include_usage: true } }),
    )) as Array<any>;
    expect(completion.at(-1)).toBe("[DONE]");
    expect(completion[0].object).toBe("text_completion");
    expect(completion[0].choices[0].text).toBe("[m]");
    expect(completion.at(-2).usage.completion_tokens).toBe(3);
  });

  it("adds usage to every chunk with continuous_usage_stats", async () => {
    const s = await sim({ model: "m" });
    const events = (await readSse(
      await postJson(`${s.url}/v1/completions`, {
        model: "m",
        prompt: "a",
        stream: true,
        max_tokens: 3,
        stream_options: { include_usage: true, continuous_usage_stats: true },
      }),
    )) as Array<any>;
    const chunks = events.filter((event) => event !== "[DONE]");
    expect(chunks.every((chunk) => chunk.usage)).toBe(true);
    expect(chunks.map((chunk) => chunk.usage.completion_tokens)).toEqual([1, 2, 3, 3]);
  });

  it("answers embeddings, tokenize and detokenize", async () => {
    const s = await sim({ model: "m" });
    const response = await postJson(`${s.url}/v1/embeddings`, { model: "m", input: ["one two", "three"] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(2);
    expect(body.data[0].object).toBe("embedding");
    expect(Math.hypot(...(body.data[0].embedding as number[]))).toBeCloseTo(1, 5);
    expect(body.usage.prompt_tokens).toBe(3);
    const again = (await (await postJson(`${s.url}/v1/embeddings`, { model: "m", input: "one two" })).json()) as Record<string, any>;
    expect(again.data[0].embedding).toEqual(body.data[0].embedding);
    const tokens = (await (await postJson(`${s.url}/tokenize`, { model: "m", prompt: "the quick fox" })).json()) as Record<string, any>;
    expect(tokens.count).toBe(3);
    expect(tokens.max_model_len).toBe(4096);
    const text = (await (await postJson(`${s.url}/detokenize`, { model: "m", tokens: tokens.tokens })).json()) as Record<string, any>;
    expect(text.prompt).toBe("the quick fox");
  });

  it("answers errors in vLLM's shapes", async () => {
    const s = await sim({ model: "m" });
    const unknown = await postJson(`${s.url}/v1/chat/completions`, chatBody("nope", "x"));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { message: "The model `nope` does not exist.", type: "NotFoundError", param: "model", code: 404 } });
    const invalid = await fetch(`${s.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as Record<string, any>).error).toMatchObject({ type: "Bad Request", code: 400 });
    const media = await fetch(`${s.url}/v1/completions`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    expect(media.status).toBe(400);
    expect(((await media.json()) as Record<string, any>).error.message).toBe("Unsupported Media Type: Only 'application/json' is allowed");
    const missing = await postJson(`${s.url}/v1/chat/completions`, { model: "m" });
    expect(missing.status).toBe(400);
    const badTokens = await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x", { max_tokens: -1 }));
    expect(badTokens.status).toBe(400);
    const tooLong = await postJson(`${s.url}/v1/completions`, { model: "m", prompt: "x", max_tokens: 5000 });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as Record<string, any>).error.message).toContain("maximum context length is 4096 tokens");
    const route = await fetch(`${s.url}/no/such/route`);
    expect(route.status).toBe(404);
    expect(await route.json()).toEqual({ detail: "Not Found" });
    const method = await fetch(`${s.url}/v1/chat/completions`);
    expect(method.status).toBe(405);
    expect(await method.json()).toEqual({ detail: "Method Not Allowed" });
  });

  it("guards /v1 paths with --api-key only", async () => {
    const s = await sim({ model: "m", args: ["--api-key", "secret"] });
    expect((await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x"))).status).toBe(401);
    const ok = await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x"), {
      headers: { "content-type": "application/json", authorization: "Bearer secret" },
    });
    expect(ok.status).toBe(200);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it("exposes Prometheus metrics with the sleep state", async () => {
    const s = await sim({ model: "m" });
    await postJson(`${s.url}/v1/completions`, { model: "m", prompt: "a", max_tokens: 2 }).then((r) => r.text());
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain('vllm:num_requests_running{engine="0",model_name="m"} 0');
    expect(text).toContain("vllm:num_requests_waiting{");
    expect(text).toContain("vllm:kv_cache_usage_perc{");
    expect(text).toContain('vllm:engine_sleep_state{engine="0",model_name="m",sleep_state="awake"} 1');
    expect(text).toContain('vllm:generation_tokens_total{engine="0",model_name="m"} 2');
  });
});
