import { beforeAll, describe, expect, it } from "vitest";
import { errorOf, rawRequest } from "./helpers/http.js";
import { type SimStack, useSimStack } from "./helpers/sim-stack.js";

/** Over the 1 MiB from which the proxy checks a JSON body on its bytes instead of parsing it whole. */
const PAD = "word ".repeat(600_000);
/** The prompt stays short (the simulator counts its tokens); the bulk is a field vLLM ignores. */
const MESSAGES = '[{"role":"user","content":"hello"}]';

describe("a JSON body over 1 MiB, checked on its bytes", () => {
  const startStack = useSimStack("file");
  let stack: SimStack;

  beforeAll(async () => {
    stack = await startStack(["alpha"], { proxy: { max_body_bytes: 16 * 1024 * 1024 } });
  }, 60_000);

  const post = (body: string, transfer: "length" | "chunked") =>
    rawRequest(stack.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json", ...(transfer === "chunked" ? { "transfer-encoding": "chunked" } : {}) },
      body,
    });

  it("is forwarded and answered, declared or chunked", async () => {
    const body = `{"messages":${MESSAGES},"metadata":{"pad":"${PAD}"},"max_tokens":3,"model":"alpha","stream":false}`;
    for (const transfer of ["length", "chunked"] as const) {
      const answer = await post(body, transfer);
      expect(answer.status, answer.body).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ object: "chat.completion", model: "alpha" });
      expect(stack.records.at(-1)).toMatchObject({ model: "alpha", status: 200, bytesIn: Buffer.byteLength(body) });
    }
  });

  it("is refused as JSON.parse refuses it, with its message", async () => {
    const truncated = `{"model":"alpha","messages":[{"role":"user","content":"${PAD}"}]`;
    let expected = "";
    try {
      JSON.parse(truncated);
    } catch (error) {
      expected = `The request body is not valid JSON: ${(error as Error).message}`;
    }
    const answer = await post(truncated, "length");
    expect(answer.status).toBe(400);
    expect(errorOf(answer).message).toBe(expected);
    const array = await post(`[{"model":"alpha","content":"${PAD}"}]`, "chunked");
    expect(array.status).toBe(400);
    expect(errorOf(array).message).toBe("The request body must be a JSON object.");
  });
});
