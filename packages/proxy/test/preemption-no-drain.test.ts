import { describe, expect, it } from "vitest";
import { modelViews } from "../src/mux.js";
import { postJson } from "./helpers/http.js";
import { dataEvents, pausingSims, postStream, streamedText } from "./helpers/preemption-client.js";
import { useSimStack } from "./helpers/sim-stack.js";
import { until } from "./helpers/start-proxy.js";

const chat = { model: "alpha", messages: [{ role: "user", content: "tell a long story" }], temperature: 0, max_tokens: 60, ignore_eos: true };

describe("drain_before_switch: false pauses what can be resumed (vllm-sim)", () => {
  const startStack = useSimStack();

  it("a switch pauses the resumable stream and JSON request at once, cuts off only the one that cannot be resumed", async () => {
    const current = await startStack(["alpha", "beta"], {
      sim: pausingSims(),
      // min_active_secs keeps the other model up long enough to serve its request before the paused ones switch back.
      policy: { drain_before_switch: false, sleep_level: 1, min_active_secs: 1 },
    });
    const expected = streamedText(dataEvents(await postStream(current.url, "/v1/chat/completions", { ...chat, stream: true }).done).events);
    expect(expected.length).toBeGreaterThan(0);

    const stream = postStream(current.url, "/v1/chat/completions", { ...chat, stream: true, stream_options: { include_usage: true } });
    const json = postJson(current.url, "/v1/chat/completions", chat);
    // logprobs: its state cannot be carried over, so it is never paused.
    const fixed = postStream(current.url, "/v1/chat/completions", { ...chat, stream: true, logprobs: true });
    await until(() => dataEvents(stream.text).events.length > 5 && dataEvents(fixed.text).events.length > 5, "the streams to begin");
    await until(() => (modelViews(current.mux.snapshot()).get("alpha")?.inFlight ?? 0) === 3, "three requests in flight");

    const beta = await postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
    expect(beta.status).toBe(200);

    const streamed = dataEvents(await stream.done);
    expect(streamed.done).toBe(true);
    expect(streamedText(streamed.events)).toBe(expected);
    expect(new Set(streamed.events.map((event) => event.id)).size).toBe(1);
    expect(streamed.events.at(-1)?.usage).toMatchObject({ completion_tokens: 60 });
    expect(stream.text).toContain(": waiting for model alpha");

    const answer = await json;
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
    expect(body.choices[0]?.message.content).toBe(expected);
    expect(body.usage.completion_tokens).toBe(60);

    const cut = dataEvents(await fixed.done);
    const last = cut.events.at(-1) as { error?: { code?: string } };
    expect(last.error?.code).toBe("LLMUX_ERR_PREEMPTED");
    expect(streamedText(cut.events).length).toBeLessThan(expected.length);

    const record = current.mux.snapshot().switches.find((entry) => entry.to === "beta");
    expect(record?.paused?.[0]?.requests).toHaveLength(2);
    // vLLM was paused and confirmed idle before the sleep: the strict simulator did not crash.
    expect(current.events("alpha").some((event) => event.event === "crash")).toBe(false);
  }, 60_000);
});
