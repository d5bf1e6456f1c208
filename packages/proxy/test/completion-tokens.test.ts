import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "./helpers/http.js";
import { type SimStack, startSimStack } from "./helpers/sim-stack.js";
import { parseStatus } from "./status-schema.js";

describe("the proxy reports each answer's completion tokens to core when its lease ends", () => {
  let stack: SimStack;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startSimStack(["alpha"]);
    client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 60_000 });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it("from the usage of JSON answers, of streams that ask for it, and by counting the events of streams that do not", async () => {
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      const answer = await client.chat.completions.create({ model: "alpha", messages: [{ role: "user", content: `json ${i}` }], max_tokens: 6 + i });
      seen.push(answer.usage?.completion_tokens ?? -1);
    }
    for (let i = 0; i < 8; i++) {
      const stream = await client.chat.completions.create({
        model: "alpha",
        messages: [{ role: "user", content: `usage ${i}` }],
        max_tokens: 6 + i,
        stream: true,
        stream_options: { include_usage: true },
      });
      let reported = -1;
      for await (const chunk of stream) if (chunk.usage) reported = chunk.usage.completion_tokens;
      seen.push(reported);
    }
    for (let i = 0; i < 8; i++) {
      const stream = await client.completions.create({ model: "alpha", prompt: `count ${i}`, max_tokens: 6 + i, stream: true });
      let events = 0;
      for await (const _chunk of stream) events++;
      seen.push(events);
    }
    expect(seen.every((tokens) => tokens > 0)).toBe(true);

    const status = parseStatus(JSON.parse((await rawRequest(stack.url, { method: "GET", path: "/llmux/status" })).body));
    const alpha = status.models.find((model) => model.name === "alpha");
    // Every lease reported its tokens: the output lengths are the answers' own, and the decode rate is measured.
    expect(alpha?.service.reported).toBe(24);
    expect(alpha?.service.leases).toBe(24);
    const sorted = [...seen].sort((a, b) => a - b);
    expect(alpha?.service.output_tokens_p50).toBe(sorted[Math.ceil(0.5 * sorted.length) - 1]);
    expect(alpha?.service.output_tokens_p90).toBe(sorted[Math.ceil(0.9 * sorted.length) - 1]);
    expect(alpha?.service.ms_per_token).toBeGreaterThan(0);
    expect(alpha?.service.lease_p50_ms).toBeGreaterThan(0);
  });
});
