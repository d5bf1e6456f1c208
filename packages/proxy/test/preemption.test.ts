import { describe, expect, it } from "vitest";
import { modelViews } from "../src/mux.js";
import { postJson, rawRequest } from "./helpers/http.js";
import { dataEvents, pausingSims, postStream, streamedText } from "./helpers/preemption-client.js";
import { type SimStack, useSimStack } from "./helpers/sim-stack.js";
import { until } from "./helpers/start-proxy.js";
import { parseStatus } from "./status-schema.js";

const chat = { model: "alpha", messages: [{ role: "user", content: "tell a long story" }], temperature: 0, max_tokens: 60, ignore_eos: true };

function pausedEvents(stack: SimStack): string[][] {
  return stack.mux.snapshot().switches.flatMap((record) => (record.paused ?? []).map((entry) => entry.requests));
}

/** Alpha's paused requests as `/llmux/status` shows them. */
async function pausedShown(stack: SimStack): Promise<number | undefined> {
  const status = parseStatus(JSON.parse((await rawRequest(stack.url, { path: "/llmux/status" })).body));
  return status.models.find((model) => model.name === "alpha")?.paused;
}

describe("pause and resume across a switch (vllm-sim)", () => {
  const startStack = useSimStack();

  function start(alpha: Record<string, string> = {}, beta: Record<string, string> = {}): Promise<SimStack> {
    return startStack(["alpha", "beta"], { sim: pausingSims(alpha, beta), policy: { max_drain_secs: 0.2, sleep_level: 1 } });
  }

  async function reference(current: SimStack, body: Record<string, unknown>, path = "/v1/chat/completions"): Promise<string> {
    const raw = await postStream(current.url, path, { ...body, stream: true }).done;
    return streamedText(dataEvents(raw).events);
  }

  it("a stream paused by a switch resumes after it: one stream, one id, the same text, summed usage", async () => {
    const current = await start();
    const expected = await reference(current, chat);
    const stream = postStream(current.url, "/v1/chat/completions", { ...chat, stream: true, stream_options: { include_usage: true } });
    await until(() => dataEvents(stream.text).events.length > 5, "the stream to begin");
    const beta = await postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
    expect(beta.status).toBe(200);
    const raw = await stream.done;
    const { events, done } = dataEvents(raw);
    expect(done).toBe(true);
    expect(streamedText(events)).toBe(expected);
    expect(new Set(events.map((event) => event.id)).size).toBe(1);
    expect(new Set(events.map((event) => event.created)).size).toBe(1);
    expect(events.filter((event) => (event.choices as { delta?: { role?: string } }[])[0]?.delta?.role !== undefined)).toHaveLength(1);
    const finishes = events.flatMap((event) => (event.choices as { finish_reason: string | null }[]).filter((c) => c.finish_reason !== null));
    expect(finishes).toHaveLength(1);
    expect(events.at(-1)?.usage).toMatchObject({ completion_tokens: 60 });
    expect(pausedEvents(current)).toHaveLength(1);
    // The simulator is strict: a sleep with a request still running would have crashed it.
    expect(current.events("alpha").some((event) => event.event === "crash")).toBe(false);
    const metrics = (await rawRequest(current.metricsUrl, { path: "/metrics" })).body;
    expect(metrics).toMatch(/llmux_preemptions_total\{model="alpha"\} 1/);
    expect(metrics).toMatch(/llmux_resumes_total\{model="alpha"\} 1/);
    expect(metrics).toMatch(/llmux_resume_reread_tokens_total\{model="alpha"\} [1-9]/);
  }, 60_000);

  it("a non-streaming request paused by a switch gets no byte while paused, then one JSON body with the whole text", async () => {
    const current = await start();
    const expected = await reference(current, chat);
    let headed = false;
    const pending = fetch(`${current.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chat),
    }).then(async (response) => {
      headed = true;
      return { status: response.status, body: await response.text() };
    });
    await until(() => (modelViews(current.mux.snapshot()).get("alpha")?.inFlight ?? 0) > 0, "the request to run");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const beta = await postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
    expect(beta.status).toBe(200);
    // Beta was served while alpha's request was paused: its client has had nothing yet, not even the status line.
    expect(pausedEvents(current)).toHaveLength(1);
    expect(headed).toBe(false);
    const answer = await pending;
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as { choices: { message: { content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };
    expect(body.choices[0]?.message.content).toBe(expected);
    expect(body.choices[0]?.finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBe(60);
    expect(pausedEvents(current)).toHaveLength(1);
  }, 60_000);

  it("a completion paused by a switch continues from prompt + text so far", async () => {
    const current = await start();
    const body = { model: "alpha", prompt: "once upon a time", temperature: 0, max_tokens: 50, ignore_eos: true };
    const expected = await reference(current, body, "/v1/completions");
    const stream = postStream(current.url, "/v1/completions", { ...body, stream: true });
    await until(() => dataEvents(stream.text).events.length > 5, "the stream to begin");
    await postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
    expect(streamedText(dataEvents(await stream.done).events)).toBe(expected);
    expect(pausedEvents(current)).toHaveLength(1);
  }, 60_000);

  it("a client that disconnects while paused leaves the queue; nothing is resumed", async () => {
    // beta starts slowly, so alpha's request stays paused.
    const current = await start({}, { VLLM_SIM_STARTUP_MS: "3000" });
    const stream = postStream(current.url, "/v1/chat/completions", { ...chat, stream: true });
    stream.done.catch(() => undefined);
    await until(() => dataEvents(stream.text).events.length > 5, "the stream to begin");
    const beta = postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
    await until(() => modelViews(current.mux.snapshot()).get("alpha")?.queueDepth === 1, "the paused request to queue");
    expect(stream.text).toContain(": waiting for model alpha");
    expect(await pausedShown(current)).toBe(1);
    stream.abort();
    await until(() => modelViews(current.mux.snapshot()).get("alpha")?.queueDepth === 0, "the request to leave the queue");
    expect(await pausedShown(current)).toBe(0);
    expect((await beta).status).toBe(200);
    await until(() => current.records.some((record) => record.model === "alpha" && record.status === 499), "the record of the client gone");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(current.events("alpha").filter((event) => event.event === "request_start")).toHaveLength(1);
    expect(modelViews(current.mux.snapshot()).get("alpha")?.state).toBe("asleep");
  }, 60_000);

  it("a model that crashes while a request is paused is started again and the request resumes", async () => {
    const current = await start({}, { VLLM_SIM_STARTUP_MS: "1500" });
    const expected = await reference(current, chat);
    const stream = postStream(current.url, "/v1/chat/completions", { ...chat, stream: true });
    await until(() => dataEvents(stream.text).events.length > 5, "the stream to begin");
    const beta = postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
    await until(() => modelViews(current.mux.snapshot()).get("alpha")?.state === "asleep", "alpha to sleep with the request paused");
    await postJson(current.simUrl("alpha"), "/_sim/fault", { fault: "crash" });
    await until(() => modelViews(current.mux.snapshot()).get("alpha")?.state === "stopped", "alpha's crash to be noticed");
    expect((await beta).status).toBe(200);
    const { events, done } = dataEvents(await stream.done);
    expect(done).toBe(true);
    expect(streamedText(events)).toBe(expected);
  }, 60_000);

  it("a resume that fails ends the stream with an error event, not a hang", async () => {
    const current = await start({}, { VLLM_SIM_STARTUP_MS: "1000" });
    const stream = postStream(current.url, "/v1/chat/completions", { ...chat, stream: true });
    await until(() => dataEvents(stream.text).events.length > 5, "the stream to begin");
    const beta = postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
    await until(() => modelViews(current.mux.snapshot()).get("alpha")?.state === "asleep", "alpha to sleep with the request paused");
    expect((await postJson(current.simUrl("alpha"), "/_sim/fault", { fault: "error_500" })).status).toBe(200);
    expect((await beta).status).toBe(200);
    const { events, done } = dataEvents(await stream.done);
    expect(done).toBe(true);
    const last = events.at(-1) as { error?: { message: string } };
    expect(last.error?.message).toContain("error_500");
  }, 60_000);
});
