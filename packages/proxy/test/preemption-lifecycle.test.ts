import { describe, expect, it } from "vitest";
import { modelViews } from "../src/mux.js";
import { postJson } from "./helpers/http.js";
import { dataEvents, pausingSims, postStream, streamedText } from "./helpers/preemption-client.js";
import { type SimStack, useSimStack } from "./helpers/sim-stack.js";
import { until } from "./helpers/start-proxy.js";

const chat = { model: "alpha", messages: [{ role: "user", content: "tell a long story" }], temperature: 0, max_tokens: 60, ignore_eos: true };
const ADMIN = { authorization: "Bearer sk-admin-preemption" };

describe("the resume path loses nothing and hangs nowhere (vllm-sim)", () => {
  const startStack = useSimStack();

  function start(betaStartupMs: string, policy: Record<string, unknown> = {}): Promise<SimStack> {
    return startStack(["alpha", "beta"], {
      sim: pausingSims({}, { VLLM_SIM_STARTUP_MS: betaStartupMs }),
      policy: { max_drain_secs: 0.2, sleep_level: 1, ...policy },
      proxy: { admin_keys: ["sk-admin-preemption"] },
    });
  }

  const alphaOf = (current: SimStack) => modelViews(current.mux.snapshot()).get("alpha");

  it("a client that goes away while its continuation waits for the first byte: the continuation is cancelled at vLLM, nothing is left", async () => {
    const current = await start("1000");
    const stream = postStream(current.url, "/v1/chat/completions", { ...chat, stream: true });
    stream.done.catch(() => undefined);
    await until(() => dataEvents(stream.text).events.length > 5, "the stream to begin");
    // The next generation request alpha gets, the continuation, will reach vLLM and get no answer.
    expect((await postJson(current.simUrl("alpha"), "/_sim/fault", { fault: "hang_request" })).status).toBe(200);
    const beta = postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
    await until(() => alphaOf(current)?.state === "asleep", "alpha to sleep with the request paused");
    expect((await beta).status).toBe(200);
    await until(() => current.events("alpha").filter((event) => event.event === "request_start").length === 2, "the continuation to reach vLLM");
    expect(alphaOf(current)?.inFlight).toBe(1);
    const before = stream.text.length;
    stream.abort();
    await until(() => alphaOf(current)?.inFlight === 0, "the lease to be given back");
    await until(() => current.records.some((record) => record.model === "alpha" && record.status === 499), "the record of the client gone");
    // vLLM was told: the continuation left the engine as cancelled.
    const continuation = current.events("alpha").filter((event) => event.event === "request_start")[1]?.["id"];
    await until(
      () => current.events("alpha").some((event) => event.event === "request_end" && event["id"] === continuation && event["outcome"] === "cancelled"),
      "the continuation to be cancelled at vLLM",
    );
    expect(stream.text.length).toBe(before);
    // The model serves and switches on: a sleep now would crash the strict simulator if the request had stayed.
    expect((await postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 })).status).toBe(200);
    expect(current.events("alpha").some((event) => event.event === "crash")).toBe(false);
  }, 60_000);

  it("a model an admin stops while a request is paused is started again and the request resumes with the same text", async () => {
    const current = await start("2000");
    const expected = streamedText(dataEvents(await postStream(current.url, "/v1/chat/completions", { ...chat, stream: true }).done).events);
    const stream = postStream(current.url, "/v1/chat/completions", { ...chat, stream: true });
    await until(() => dataEvents(stream.text).events.length > 5, "the stream to begin");
    const beta = postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
    await until(() => alphaOf(current)?.state === "asleep", "alpha to sleep with the request paused");
    expect(alphaOf(current)?.queueDepth).toBe(1);
    const stopped = await postJson(current.url, "/llmux/models/alpha/stop", {}, ADMIN);
    expect(stopped.status).toBe(200);
    expect((await beta).status).toBe(200);
    const { events, done } = dataEvents(await stream.done);
    expect(done).toBe(true);
    expect(streamedText(events)).toBe(expected);
    // Served by a second process: the first was stopped with the request paused.
    const ready = current.events("alpha").filter((event) => event.event === "ready");
    expect(new Set(ready.map((event) => event.pid)).size).toBe(2);
    expect(current.events("alpha").some((event) => event.event === "crash")).toBe(false);
  }, 60_000);

  it.each([
    ["a stream", true],
    ["a JSON request", false],
  ])(
    "%s whose continuation never answers gets a 504 error within request_timeout_secs, and the continuation is cancelled at vLLM",
    async (_, stream) => {
      const current = await start("100", { request_timeout_secs: 4 });
      const client = postStream(current.url, "/v1/chat/completions", { ...chat, stream });
      client.done.catch(() => undefined);
      await until(
        () => (current.events("alpha").find((event) => event.event === "request_start") ? alphaOf(current)?.inFlight === 1 : false),
        "alpha to generate",
      );
      expect((await postJson(current.simUrl("alpha"), "/_sim/fault", { fault: "hang_request" })).status).toBe(200);
      const beta = postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });
      await until(() => alphaOf(current)?.state === "asleep", "alpha to sleep with the request paused");
      expect((await beta).status).toBe(200);
      await until(() => current.events("alpha").filter((event) => event.event === "request_start").length === 2, "the continuation to reach vLLM");
      // Without the bound, the answer would come from the 10-minute upstream timeout, long after this test's limit.
      const body = await client.done;
      if (stream) {
        const { events, done } = dataEvents(body);
        expect(done).toBe(true);
        expect(events.at(-1)).toMatchObject({ error: { code: "LLMUX_ERR_UPSTREAM_TIMEOUT" } });
        expect(streamedText(events).length).toBeGreaterThan(0);
      } else {
        expect(JSON.parse(body)).toMatchObject({ error: { code: "LLMUX_ERR_UPSTREAM_TIMEOUT", type: "GatewayTimeoutError" } });
        expect(current.records.find((record) => record.model === "alpha")?.status).toBe(504);
      }
      const continuation = current.events("alpha").filter((event) => event.event === "request_start")[1]?.["id"];
      await until(
        () => current.events("alpha").some((event) => event.event === "request_end" && event["id"] === continuation && event["outcome"] === "cancelled"),
        "the continuation to be cancelled at vLLM",
      );
      await until(() => alphaOf(current)?.inFlight === 0, "the lease to be given back");
      // The model switches on safely: a sleep with the continuation still running would crash the strict simulator.
      expect((await postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 })).status).toBe(200);
      expect(current.events("alpha").some((event) => event.event === "crash")).toBe(false);
    },
    60_000,
  );
});
