import { describe, expect, it, vi } from "vitest";
import { jsonUsageTokens, usageTokens } from "./json-usage.js";

const choices = '"choices":[{"index":0,"message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}]';
const usage = '"usage":{"prompt_tokens":9,"total_tokens":16,"completion_tokens":7,"prompt_tokens_details":null}';

/** Bodies whose tokens both readers must agree on, with what that is. */
const bodies: Array<[string, string, number | undefined]> = [
  ["usage last (vLLM's order)", `{"id":"c1","object":"chat.completion",${choices},${usage}}`, 7],
  ["usage last, more members after it", `{"id":"c1",${choices},${usage},"prompt_logprobs":null,"prompt_token_ids":null,"kv_transfer_params":{"a":[1,"}"]}}`, 7],
  ["usage first", `{${usage},"id":"c1",${choices}}`, 7],
  ["usage in the middle", `{"id":"c1",${usage},${choices}}`, 7],
  ["pretty-printed", `{\n  "id": "c1",\n  "usage" : {\n    "completion_tokens" : 5\n  }\n}\n`, 5],
  ["usage absent", `{"id":"c1",${choices}}`, undefined],
  ["usage null", `{"id":"c1",${choices},"usage":null}`, undefined],
  ["usage not an object", `{"id":"c1","usage":"seven"}`, undefined],
  ["negative tokens", `{"id":"c1","usage":{"completion_tokens":-1}}`, undefined],
  ["/v1/messages usage", `{"id":"m1","type":"message","content":[{"type":"text","text":"Hi"}],"usage":{"input_tokens":3,"output_tokens":4}}`, 4],
  ["a nested usage after the top-level one", `{${usage},"choices":[{"message":{"content":"x"},"usage":{"completion_tokens":99}}]}`, 7],
  ["only a nested usage", `{"id":"c1","choices":[{"usage":{"completion_tokens":99}}]}`, undefined],
  ["nested usage last, top-level before", `{${usage},"meta":{"usage":{"completion_tokens":99}}}`, 7],
  ["usage text inside a string after the real one", `{${usage},"choices":[{"message":{"content":"say \\"usage\\": {\\"completion_tokens\\": 99}}"}}]}`, 7],
  ["usage text inside the last string", `{"id":"c1","note":"\\"usage\\":{\\"completion_tokens\\":99}}"}`, undefined],
  ["a string value usage", `{"id":"c1","kind":"usage"}`, undefined],
  ["the key spelled with an escape", `{"id":"c1","\\u0075sage":{"completion_tokens":3}}`, 3],
  ["an escaped key after the plain one", `{${usage},"\\u0075sage":{"completion_tokens":3}}`, 3],
  ["two top-level usage keys (the last wins)", `{"usage":{"completion_tokens":1},"id":"c1","usage":{"completion_tokens":2}}`, 2],
  ["backslashes before a closing quote", `{"content":"a\\\\","usage":{"completion_tokens":6}}`, 6],
  ["not JSON", "upstream said no", undefined],
  ["truncated", `{"id":"c1",${usage}`, undefined],
  ["an array", `[{${usage}}]`, undefined],
  ["empty", "", undefined],
];

describe("jsonUsageTokens reads a JSON answer's usage as JSON.parse would", () => {
  it.each(bodies)("%s", (_name, body, expected) => {
    expect(usageTokens(body)).toBe(expected);
    expect(jsonUsageTokens(Buffer.from(body))).toBe(expected);
  });
});

describe("jsonUsageTokens on vLLM's answers", () => {
  it("parses only the usage object, not the whole answer", () => {
    const parse = vi.spyOn(JSON, "parse");
    try {
      for (const [, body] of bodies.slice(0, 2)) {
        parse.mockClear();
        expect(jsonUsageTokens(Buffer.from(body))).toBe(7);
        expect(parse.mock.calls.map(([text]) => text)).toEqual([usage.slice('"usage":'.length)]);
      }
    } finally {
      parse.mockRestore();
    }
  });
});
