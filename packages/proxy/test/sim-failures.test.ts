import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { modelViews } from "../src/mux.js";
import { postJson, rawRequest } from "./helpers/http.js";
import { type SimStack, useSimStack } from "./helpers/sim-stack.js";
import { until } from "./helpers/start-proxy.js";

function view(stack: SimStack, model: string) {
  return modelViews(stack.mux.snapshot()).get(model);
}

describe("aborts and crashes with vllm-sim upstreams", () => {
  const startStack = useSimStack();

  it("a client abort mid-stream cancels the request in vLLM and releases the lease", async () => {
    const stack = await startStack(["alpha"], { sim: { alpha: { VLLM_SIM_TOKENS_PER_SEC: "20" } } });
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "alpha", messages: [{ role: "user", content: "a long story" }], max_tokens: 200, stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    // The openai client ends the iteration quietly (or throws) on abort; either way the loop stops.
    await (async () => {
      for await (const _chunk of stream) {
        if (++chunks === 2) controller.abort();
      }
    })().catch(() => undefined);
    // Tokens that were due together (a late event loop catches up) may arrive in one read, after the abort.
    expect(chunks).toBeGreaterThanOrEqual(2);
    expect(chunks).toBeLessThan(20);
    await until(
      () => stack.events("alpha").some((event) => event.event === "request_end" && event.outcome === "cancelled"),
      "vLLM to see the request cancelled",
    );
    await until(() => view(stack, "alpha")?.inFlight === 0, "the lease to be released");
    await until(() => stack.records.length === 1, "the request record");
    expect(stack.records[0]).toMatchObject({ model: "alpha", status: 499, errorCode: "CLIENT_GONE" });
    const stats = JSON.parse((await rawRequest(stack.simUrl("alpha"), { path: "/_sim/stats" })).body) as { requests: { running: number } };
    expect(stats.requests.running).toBe(0);
  }, 60_000);

  it("a client abort while queued takes the request out of the queue", async () => {
    const stack = await startStack(["alpha"], { sim: { alpha: { VLLM_SIM_STARTUP_MS: "4000" } } });
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "unused", maxRetries: 0 });
    const controller = new AbortController();
    const pending = client.chat.completions
      .create({ model: "alpha", messages: [{ role: "user", content: "hi" }] }, { signal: controller.signal })
      .catch((error: unknown) => error);
    await until(() => view(stack, "alpha")?.queueDepth === 1, "the request to queue behind the start");
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await until(() => view(stack, "alpha")?.queueDepth === 0, "the request to leave the queue");
    await until(() => stack.records.length === 1, "the request record");
    expect(stack.records[0]).toMatchObject({ status: 499, errorCode: "CLIENT_GONE" });
    expect(view(stack, "alpha")?.inFlight).toBe(0);
    expect(stack.events("alpha").filter((event) => event.event === "request_start")).toEqual([]);
  }, 60_000);

  it("a model that crashes mid-stream ends the stream with an error event; the next request restarts it", async () => {
    const stack = await startStack(["alpha"], { sim: { alpha: { VLLM_SIM_TOKENS_PER_SEC: "100" } } });
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "unused", maxRetries: 0 });
    await client.completions.create({ model: "alpha", prompt: "warm", max_tokens: 2 });
    const armed = await postJson(stack.simUrl("alpha"), "/_sim/fault", { fault: "crash_mid_stream" });
    expect(armed.status).toBe(200);

    const stream = await client.chat.completions.create({ model: "alpha", messages: [{ role: "user", content: "go" }], max_tokens: 100, stream: true });
    let chunks = 0;
    const failure = await (async () => {
      for await (const _chunk of stream) chunks++;
    })().catch((error: unknown) => error);
    expect(chunks).toBeGreaterThan(0);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    await until(() => stack.events("alpha").some((event) => event.event === "crash"), "the simulator to crash");
    await until(() => view(stack, "alpha")?.inFlight === 0, "the lease to be released");
    // vLLM (and the simulator) send their own error event and [DONE] before dying; the proxy passes them on.
    // If the proxy noticed the death first, it ends the stream with its own error event instead.
    const record = stack.records.find((candidate) => candidate.stream);
    if (record?.status !== 200) expect(record?.errorCode).toMatch(/^LLMUX_ERR_(UPSTREAM_FAILED|ENGINE_CRASHED)$/);

    // Once core has seen the process exit (vLLM answers 500 while it dies), the next request starts it again.
    await until(() => view(stack, "alpha")?.state === "stopped", "core to notice the exit");
    const again = await client.completions.create({ model: "alpha", prompt: "again", max_tokens: 2 });
    expect(again.object).toBe("text_completion");
  }, 60_000);
});
