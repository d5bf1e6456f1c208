import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { errorOf, rawRequest } from "./helpers/http.js";
import { type SimStack, useSimStack } from "./helpers/sim-stack.js";

/**
 * The clients people point at a multiplexer, through aliases, against real
 * vllm-sim processes: the official `openai` client with a Bearer key, and an
 * Anthropic-style client (raw fetch, `x-api-key`, `/v1/messages`).
 */
describe("openai and Anthropic-style clients through aliases", () => {
  const startStack = useSimStack("file");
  let stack: SimStack;
  let openai: OpenAI;

  beforeAll(async () => {
    stack = await startStack(["alpha", "beta"], {
      aliases: { alpha: ["gpt-4o-mini", "qwen2.5:7b"], beta: ["claude-3-5-haiku-latest"] },
      proxy: { api_keys: ["sk-user"] },
    });
    openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "sk-user", maxRetries: 0, timeout: 60_000 });
  }, 60_000);

  function anthropic(path: string, body: unknown, key = "sk-user"): Promise<Response> {
    return fetch(`${stack.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01" },
      body: JSON.stringify(body),
    });
  }

  it("the openai client: chat and a stream through an alias reach the aliased model", async () => {
    const answer = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], max_tokens: 6, temperature: 0 });
    // The simulator's first token names the served model that answered.
    expect(answer.choices[0]?.message.content).toMatch(/^\[alpha\]/);
    expect(answer.model).toBe("alpha");
    const stream = await openai.chat.completions.create({
      model: "qwen2.5:7b",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 6,
      temperature: 0,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(answer.choices[0]?.message.content);
  });

  it("the openai client: models.list shows each model once, models.retrieve resolves an alias", async () => {
    const list = await openai.models.list();
    expect(list.data.map((model) => model.id)).toEqual(["alpha", "beta"]);
    const retrieved = await openai.models.retrieve("qwen2.5:7b");
    expect(retrieved).toMatchObject({ id: "qwen2.5:7b", object: "model", parent: "alpha" });
    await expect(openai.models.retrieve("gpt-5")).rejects.toMatchObject({ status: 404, code: "LLMUX_ERR_MODEL_NOT_FOUND" });
  });

  it("an Anthropic-style client: /v1/messages and count_tokens with x-api-key, through an alias, switching models", async () => {
    const request = { model: "claude-3-5-haiku-latest", max_tokens: 8, messages: [{ role: "user", content: "Hello" }] };
    const response = await anthropic("/v1/messages", request);
    expect(response.status).toBe(200);
    const message = (await response.json()) as {
      type: string;
      role: string;
      model: string;
      content: { type: string; text: string }[];
      usage: { input_tokens: number };
    };
    expect(message).toMatchObject({ type: "message", role: "assistant", model: "beta" });
    expect(message.content[0]?.text).toMatch(/^\[beta\]/);
    const counted = await anthropic("/v1/messages/count_tokens", { model: request.model, messages: request.messages });
    expect(await counted.json()).toEqual({ input_tokens: message.usage.input_tokens });
    expect(stack.mux.snapshot().models.find((model) => model.name === "beta")?.state).toBe("awake");
  });

  it("a wrong x-api-key gets 401 in OpenAI's error shape", async () => {
    const response = await anthropic("/v1/messages", { model: "alpha", max_tokens: 1, messages: [] }, "sk-wrong");
    expect(response.status).toBe(401);
    const body = await response.text();
    expect(errorOf({ status: response.status, headers: {}, body }).code).toBe("LLMUX_ERR_UNAUTHORIZED");
    expect((await rawRequest(stack.url, { path: "/models", headers: { "x-api-key": "sk-user" } })).status).toBe(200);
  });
});
