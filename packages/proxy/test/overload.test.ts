import { beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./helpers/http.js";
import { type SimStack, useSimStack } from "./helpers/sim-stack.js";

const chat = (maxTokens: number, stream = false) => ({
  model: "alpha",
  messages: [{ role: "user", content: "x" }],
  max_tokens: maxTokens,
  ignore_eos: true,
  stream,
});

describe("refusal at admission through real sockets (vllm-sim)", () => {
  const startStack = useSimStack("file");
  let stack: SimStack;

  beforeAll(async () => {
    // One request in the engine at once, 1,000 tokens/s; a request may wait 10 s.
    stack = await startStack(["alpha"], {
      sim: { alpha: { VLLM_SIM_TOKENS_PER_SEC: "1000" } },
      model: { max_concurrency: 1 },
      policy: { request_timeout_secs: 10, overload_refusal: "timeout" },
    });
  }, 60_000);

  it("answers 429 in OpenAI's shape with Retry-After from the estimate; the refused never reach the engine, the admitted are all served", async () => {
    // llmux measures the lease time: 20 answers of 500 tokens, about 0.5 s each.
    for (let i = 0; i < 20; i++) expect((await postJson(stack.url, "/v1/chat/completions", chat(500))).status).toBe(200);
    // One 3 s generation holds the engine while 25 requests of 1,000 tokens (1 s each) arrive: each is planned at its
    // own max_tokens and the measured decode rate, one at once, so the places past about the seventh are
    // estimated over request_timeout_secs and refused, and the ones before them are served in time.
    const running = postJson(stack.url, "/v1/chat/completions", chat(3000));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answers = await Promise.all(Array.from({ length: 25 }, () => postJson(stack.url, "/v1/chat/completions", chat(1000))));
    expect((await running).status).toBe(200);

    const refused = answers.filter((answer) => answer.status === 429);
    const served = answers.filter((answer) => answer.status === 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThan(0);
    // No 504: every request admitted to the queue was served.
    expect(refused.length + served.length).toBe(25);
    for (const answer of refused) {
      const error = (JSON.parse(answer.body) as { error: { code: string; message: string; type: string } }).error;
      expect(error.code).toBe("LLMUX_ERR_OVERLOADED");
      const estimate = /estimated wait is ([\d.]+) s .* over request_timeout_secs of 10\.0 s/.exec(error.message);
      expect(estimate, error.message).not.toBeNull();
      // Retry-After: how far the estimate is over the 10 s a request may wait.
      expect(Number(answer.headers["retry-after"])).toBe(Math.max(1, Math.ceil(Number(estimate?.[1]) - 10)));
    }
    // The engine saw the 20 measured, the long one and the admitted ones: no refused request reached it.
    const starts = stack.events("alpha").filter((event) => event.event === "request_start");
    expect(starts).toHaveLength(20 + 1 + served.length);
  }, 120_000);
});
