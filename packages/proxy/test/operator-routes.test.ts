import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LLMUX_LOG, LogBook } from "../src/log-book.js";
import type { FakeMux } from "./helpers/fake-mux.js";
import { useFakeProxy } from "./helpers/fake-proxy.js";
import type { FakeUpstream } from "./helpers/fake-upstream.js";
import { errorOf, postJson, rawRequest } from "./helpers/http.js";
import { openSse, type SseReader } from "./helpers/sse-reader.js";
import type { ProxyOverrides, StartedProxy } from "./helpers/start-proxy.js";

describe("aliases, x-api-key, model-override, logs and the live status feed", () => {
  let upstream: FakeUpstream | undefined;
  let started: StartedProxy | undefined;
  const streams: SseReader[] = [];
  const fakeProxy = useFakeProxy(["alpha", "beta"]);

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });

  async function setUp(overrides: ProxyOverrides = {}): Promise<{ mux: FakeMux; url: string }> {
    const stack = await fakeProxy({ aliases: { alpha: ["gpt-4o-mini", "org/a:1"] }, ...overrides });
    upstream = stack.upstream;
    started = stack.started;
    return stack;
  }

  it("routes an alias to its model, sending vLLM the configured name and every other byte as sent", async () => {
    const { mux, url } = await setUp();
    const body = '{"seed": 12345678901234567890, "temperature": 1.0, "model": "gpt-4o-mini", "messages": [{"role":"user","content":"model"}]}';
    expect((await postJson(url, "/v1/chat/completions", body)).status).toBe(200);
    expect(mux.leases[0]?.model).toBe("alpha");
    expect(upstream?.seen[0]?.body.toString()).toBe(body.replace('"gpt-4o-mini"', '"alpha"'));
    expect(started?.records[0]?.model).toBe("alpha");
    // The configured name is forwarded untouched.
    const plain = '{"model":"beta","max_tokens":1.0}';
    await postJson(url, "/v1/completions", plain);
    expect(upstream?.seen[1]?.body.toString()).toBe(plain);
  });

  it("rewrites the model field of a multipart upload named by an alias", async () => {
    await setUp();
    const boundary = "b0undary";
    const form = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="model"',
      "",
      "gpt-4o-mini",
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="a.wav"',
      "",
      "RIFF....",
      `--${boundary}--`,
      "",
    ].join("\r\n");
    const response = await rawRequest(started!.url, {
      method: "POST",
      path: "/v1/audio/transcriptions",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: form,
    });
    expect(response.status).toBe(200);
    expect(upstream?.seen[0]?.body.toString()).toBe(form.replace("\r\ngpt-4o-mini\r\n", "\r\nalpha\r\n"));
  });

  it("accepts x-api-key wherever a Bearer key is, and passes neither key on", async () => {
    const { url } = await setUp({ api_keys: ["sk-user"], admin_keys: ["sk-admin"] });
    expect((await postJson(url, "/v1/messages", { model: "alpha" }, { "x-api-key": "wrong" })).status).toBe(401);
    const ok = await postJson(url, "/v1/messages", { model: "gpt-4o-mini", max_tokens: 5 }, { "x-api-key": "sk-user", "anthropic-version": "2023-06-01" });
    expect(ok.status).toBe(200);
    expect(upstream?.seen[0]?.headers["x-api-key"]).toBeUndefined();
    expect(upstream?.seen[0]?.headers["anthropic-version"]).toBe("2023-06-01");
    expect((await postJson(url, "/v1/messages/count_tokens", { model: "alpha" }, { "x-api-key": "sk-user" })).status).toBe(200);
    expect(upstream?.seen[1]?.url).toBe("/v1/messages/count_tokens");
    expect((await rawRequest(url, { path: "/v1/models", headers: { "x-api-key": "sk-user" } })).status).toBe(200);
    const admin = await rawRequest(url, { method: "POST", path: "/llmux/models/alpha/sleep", headers: { "x-api-key": "sk-admin" } });
    expect(JSON.parse(admin.body)).toMatchObject({ model: "alpha", state: "asleep" });
  });

  it("honours model-override over the body's model, unless turned off", async () => {
    const { mux, url } = await setUp();
    await postJson(url, "/v1/completions", { model: "beta", prompt: "x" }, { "model-override": "gpt-4o-mini" });
    expect(mux.leases[0]?.model).toBe("alpha");
    expect(JSON.parse(upstream?.seen[0]?.body.toString() ?? "{}")).toEqual({ model: "alpha", prompt: "x" });
    const unknown = await postJson(url, "/v1/completions", { model: "beta" }, { "model-override": "nope" });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).code).toBe("LLMUX_ERR_MODEL_NOT_FOUND");

    const off = await setUp({ model_override_header: false });
    await postJson(off.url, "/v1/completions", { model: "beta" }, { "model-override": "alpha" });
    expect(off.mux.leases[0]?.model).toBe("beta");
  });

  it("answers GET /v1/models/{id} for names and aliases (decoded), 404 for others; /models lists each model once", async () => {
    const { url } = await setUp();
    const byName = JSON.parse((await rawRequest(url, { path: "/v1/models/alpha" })).body);
    expect(byName).toMatchObject({
      id: "alpha",
      object: "model",
      owned_by: "llmux",
      root: "org/alpha",
      parent: null,
      llmux_aliases: ["gpt-4o-mini", "org/a:1"],
    });
    const byAlias = JSON.parse((await rawRequest(url, { path: "/v1/models/org%2Fa%3A1" })).body);
    expect(byAlias).toMatchObject({ id: "org/a:1", parent: "alpha", root: "org/alpha" });
    const missing = await rawRequest(url, { path: "/v1/models/gpt-5" });
    expect(missing.status).toBe(404);
    expect(errorOf(missing)).toMatchObject({ code: "LLMUX_ERR_MODEL_NOT_FOUND", param: "model" });
    const list = JSON.parse((await rawRequest(url, { path: "/models" })).body) as { data: { id: string }[] };
    expect(list.data.map((model) => model.id)).toEqual(["alpha", "beta"]);
  });

  it("serves logs as text or as a followed event stream, behind the admin key when there is one", async () => {
    const logs = new LogBook({ lines: 2, secrets: ["sk-admin"] });
    logs.append(LLMUX_LOG, "first");
    logs.append(LLMUX_LOG, "second");
    logs.append(LLMUX_LOG, "third, with sk-admin in it");
    logs.append("alpha", "INFO vLLM line");
    const { url } = await setUp({ api_keys: ["sk-user"], admin_keys: ["sk-admin"], logs });
    const admin = { authorization: "Bearer sk-admin" };
    expect((await rawRequest(url, { path: "/llmux/logs", headers: { authorization: "Bearer sk-user" } })).status).toBe(401);
    const own = await rawRequest(url, { path: "/llmux/logs", headers: admin });
    expect(own.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(own.body).toBe("second\nthird, with [redacted] in it\n");
    expect((await rawRequest(url, { path: "/llmux/logs/gpt-4o-mini", headers: admin })).body).toBe("INFO vLLM line\n");
    expect((await rawRequest(url, { path: "/llmux/logs/nope", headers: admin })).status).toBe(404);

    const follow = await openSse(`${url}/llmux/logs/alpha?follow=1`, admin);
    streams.push(follow);
    expect(follow.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await follow.next((event) => event.data === "INFO vLLM line");
    logs.append("alpha", "a new line");
    logs.append("beta", "not this model's");
    await follow.next((event) => event.data === "a new line");
    expect(follow.events.map((event) => event.data)).toEqual(["INFO vLLM line", "a new line"]);
    // Closing the proxy ends a followed stream instead of waiting out the grace period.
    await started?.proxy.close();
    await follow.ended;
  });

  it("cuts off a follower that reads nothing once 4 MiB wait for it", async () => {
    const logs = new LogBook({ lines: 10 });
    const { url } = await setUp({ logs });
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("GET /llmux/logs/alpha?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    socket.pause();
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const line = "x".repeat(8000);
    // 16 MB in all: more than the socket buffers on both sides and the 4 MiB allowance.
    for (let index = 0; index < 2000; index += 1) logs.append("alpha", line);
    socket.resume();
    await closed;
    expect(socket.bytesRead).toBeLessThan(16_000_000);
  });

  it("feeds the status page: a snake_case view at once and on every multiplexer event", async () => {
    const { mux, url } = await setUp({ admin_keys: ["sk-admin"] });
    const page = await rawRequest(url, { path: "/llmux/" });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'/);
    expect(page.body).toMatch(/<script src="app.js"/);
    expect((await rawRequest(url, { path: "/llmux/app.js" })).headers["content-type"]).toBe("text/javascript; charset=utf-8");
    const bare = await rawRequest(url, { path: "/llmux" });
    expect([bare.status, bare.headers.location]).toEqual([308, "/llmux/"]);

    const live = await openSse(`${url}/llmux/events`);
    streams.push(live);
    const first = JSON.parse((await live.next((event) => event.event === "status")).data);
    expect(first).toMatchObject({
      admin_controls: true,
      models: [{ name: "alpha", aliases: ["gpt-4o-mini", "org/a:1"], state: "awake", queue_depth: 0, in_flight: 0 }, { name: "beta" }],
    });
    mux.states.set("beta", "waking");
    mux.emit({ type: "state", model: "beta", from: "asleep", to: "waking", at: 0, durationMs: 5 });
    const next = await live.next((event) => event.event === "status" && JSON.parse(event.data).models[1].state === "waking");
    expect(typeof JSON.parse(next.data).generated_at).toBe("number");
  });
});
