import { EngineCrashedError, QueueTimeoutError } from "@llmux/core";
import { freePort } from "@llmux/vllm-sim/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeMux } from "./helpers/fake-mux.js";
import { FakeUpstream } from "./helpers/fake-upstream.js";
import { errorOf, postJson, rawRequest } from "./helpers/http.js";
import { createProxy } from "../src/proxy.js";
import { type StartedProxy, proxyConfig, startProxy, until } from "./helpers/start-proxy.js";
import { openStream, sseData } from "./helpers/stream-client.js";

describe("forwarding to a lease", () => {
  let upstream: FakeUpstream;
  let mux: FakeMux;
  let started: StartedProxy;

  beforeEach(async () => {
    upstream = new FakeUpstream();
    mux = new FakeMux({ alpha: await upstream.start() });
    started = await startProxy(mux, ["alpha"]);
  });

  afterEach(async () => {
    await started?.proxy.destroy();
    await upstream?.stop();
  });

  it("forwards the original bytes and query, strips hop-by-hop headers both ways, releases the lease", async () => {
    const body = '{ "messages":[],\n  "model" : "alpha" ,"x":1.50 }';
    const response = await rawRequest(started.url, {
      method: "POST",
      path: "/v1/chat/completions?trace=1",
      headers: {
        "content-type": "application/json",
        connection: "keep-alive, x-hop",
        "x-hop": "secret",
        "proxy-authorization": "Basic abc",
        "x-end-to-end": "kept",
        authorization: "Bearer client-key",
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ object: "chat.completion" });
    expect(response.headers["x-upstream"]).toBe("yes");
    // Node's own keep-alive header for the client connection, not the model's `timeout=5`.
    expect(response.headers["keep-alive"]).not.toBe("timeout=5");
    const [seen] = upstream.seen;
    expect(seen?.url).toBe("/v1/chat/completions?trace=1");
    expect(seen?.body.toString()).toBe(body);
    expect(seen?.headers["x-end-to-end"]).toBe("kept");
    expect(seen?.headers["x-hop"]).toBeUndefined();
    expect(seen?.headers["proxy-authorization"]).toBeUndefined();
    // With llmux's keys off, the client's Authorization is vLLM's business.
    expect(seen?.headers.authorization).toBe("Bearer client-key");
    expect(seen?.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    await until(() => mux.leases[0]?.released === true, "lease release");
    const [record] = await started.waitRecords(1);
    expect(record).toMatchObject({ model: "alpha", status: 200, stream: false, bytesIn: Buffer.byteLength(body) });
    expect(record?.queueWaitMs).toBeGreaterThanOrEqual(0);
    expect(record?.timeToFirstByteMs).toBeGreaterThanOrEqual(0);
  });

  it("routes a multipart audio upload by its model form field and forwards the form unchanged", async () => {
    const boundary = "----audioBoundary7";
    const audio = Buffer.alloc(200 * 1024, 0x52);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
      audio,
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nalpha\r\n--${boundary}--\r\n`),
    ]);
    const response = await rawRequest(started.url, {
      method: "POST",
      path: "/v1/audio/transcriptions",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(response.status).toBe(200);
    expect(upstream.seen[0]?.url).toBe("/v1/audio/transcriptions");
    expect(upstream.seen[0]?.body.equals(body)).toBe(true);
    expect(mux.leases.map((lease) => lease.model)).toEqual(["alpha"]);
  });

  it("passes a model's error response through unchanged", async () => {
    upstream.behaviour = { kind: "error", status: 400 };
    const response = await postJson(started.url, "/v1/completions", { model: "alpha", prompt: "x" });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toEqual({ message: "boom", type: "BadRequestError", param: null, code: 400 });
  });

  it("streams events as they come, before the model has finished", async () => {
    upstream.behaviour = { kind: "gated-stream" };
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    const head = await client.head;
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toMatch(/^text\/event-stream/);
    await client.waitFor((text) => text.includes('{"n":0}'), "the first event while the model still holds the rest");
    upstream.openGate();
    const text = await client.ended;
    expect(sseData(text)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', "[DONE]"]);
    await until(() => mux.leases[0]?.released === true, "lease release");
  });

  it("aborts the upstream request and releases the lease when the client goes away mid-stream", async () => {
    upstream.behaviour = { kind: "gated-stream" };
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    await client.waitFor((text) => text.includes('{"n":0}'), "first event");
    client.abort();
    await until(() => upstream.cancelled === 1, "the upstream request to be cancelled");
    await until(() => mux.leases[0]?.released === true, "lease release");
    const [record] = await started.waitRecords(1);
    expect(record).toMatchObject({ status: 499, errorCode: "CLIENT_GONE" });
  });

  it("takes a request out of the queue when its client goes away while it waits", async () => {
    mux.hold();
    const client = openStream(started.url, "/v1/completions", { model: "alpha", prompt: "x" });
    await until(() => mux.waiting === 1, "the request to queue");
    client.abort();
    await until(() => mux.waiting === 0, "the request to leave the queue");
    expect(mux.acquireSignals[0]?.aborted).toBe(true);
    mux.releaseHeld();
    const [record] = await started.waitRecords(1);
    expect(record).toMatchObject({ status: 499, errorCode: "CLIENT_GONE" });
    expect(upstream.seen).toHaveLength(0);
    expect(mux.leases).toHaveLength(0);
  });

  it("keeps a waiting stream alive with SSE comments, then streams the answer", async () => {
    mux.hold();
    upstream.behaviour = { kind: "stream", chunks: 2, intervalMs: 1 };
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    const head = await client.head;
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toMatch(/^text\/event-stream/);
    await client.waitFor((text) => text.split(": waiting for model alpha\n\n").length > 2, "two keep-alive comments");
    mux.releaseHeld();
    const text = await client.ended;
    expect(sseData(text)).toEqual(['{"n":0}', '{"n":1}', "[DONE]"]);
    const [record] = await started.waitRecords(1);
    expect(record?.status).toBe(200);
    expect(record?.queueWaitMs).toBeGreaterThan(0);
  });

  it("turns a model's error into an SSE error event once the stream head was sent", async () => {
    mux.hold();
    upstream.behaviour = { kind: "error", status: 400 };
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    await client.waitFor((text) => text.includes(": waiting"), "a keep-alive comment");
    mux.releaseHeld();
    const data = sseData(await client.ended);
    expect(data).toHaveLength(2);
    expect(JSON.parse(data[0] ?? "")).toEqual({ error: { message: "boom", type: "BadRequestError", param: null, code: 400 } });
    expect(data[1]).toBe("[DONE]");
  });

  it("turns a queue timeout into an SSE error event for a stream that got keep-alives", async () => {
    mux.hold();
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    await client.waitFor((text) => text.includes(": waiting"), "a keep-alive comment");
    mux.rejectHeld(new QueueTimeoutError("alpha", 1000));
    const data = sseData(await client.ended);
    expect(JSON.parse(data[0] ?? "").error).toMatchObject({ code: "LLMUX_ERR_QUEUE_TIMEOUT", type: "GatewayTimeoutError" });
    expect(data[1]).toBe("[DONE]");
    const [record] = await started.waitRecords(1);
    expect(record).toMatchObject({ status: 504, errorCode: "LLMUX_ERR_QUEUE_TIMEOUT" });
  });

  it("ends a stream whose model dies mid-way with an error event and [DONE]", async () => {
    upstream.behaviour = { kind: "crash-mid-stream", chunks: 2 };
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    const text = await client.ended;
    const data = sseData(text);
    expect(data.slice(0, 2)).toEqual(['{"n":0}', '{"n":1}']);
    expect(data.at(-1)).toBe("[DONE]");
    const error = JSON.parse(data.at(-2) ?? "") as { error: { code: string } };
    expect(error.error.code).toBe("LLMUX_ERR_UPSTREAM_FAILED");
    await until(() => mux.leases[0]?.released === true, "lease release");
    const [record] = await started.waitRecords(1);
    expect(record).toMatchObject({ status: 502, errorCode: "LLMUX_ERR_UPSTREAM_FAILED" });
  });

  it("reports core's reason when the lease is revoked mid-stream", async () => {
    upstream.behaviour = { kind: "gated-stream" };
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    await client.waitFor((text) => text.includes('{"n":0}'), "first event");
    mux.leases[0]?.kill(new EngineCrashedError("alpha", "exit code 1"));
    const data = sseData(await client.ended);
    expect(JSON.parse(data.at(-2) ?? "").error.code).toBe("LLMUX_ERR_ENGINE_CRASHED");
    expect(data.at(-1)).toBe("[DONE]");
    await until(() => upstream.cancelled === 1, "the upstream request to be cancelled");
  });

  it("answers 503 with Retry-After when the model's server refuses connections", async () => {
    await started.proxy.destroy();
    const deadPort = await freePort();
    mux = new FakeMux({ alpha: `http://127.0.0.1:${deadPort}` });
    started = await startProxy(mux, ["alpha"]);
    const response = await postJson(started.url, "/v1/completions", { model: "alpha", prompt: "x" });
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("2");
    expect(errorOf(response).code).toBe("LLMUX_ERR_UPSTREAM_UNAVAILABLE");
    expect(mux.leases[0]?.released).toBe(true);
  });

  it("passes core's errors on with their status and Retry-After", async () => {
    mux.acquireError = new QueueTimeoutError("alpha", 60_000);
    const timeout = await postJson(started.url, "/v1/completions", { model: "alpha" });
    expect(timeout.status).toBe(504);
    expect(errorOf(timeout)).toMatchObject({ code: "LLMUX_ERR_QUEUE_TIMEOUT", type: "GatewayTimeoutError" });
  });

  it("answers a bug as a 500 that does not leak its message, and logs it", async () => {
    const logged: unknown[] = [];
    const proxy = createProxy({
      mux,
      config: proxyConfig(["alpha"]),
      logger: { warn: () => undefined, error: (object) => logged.push(object) },
    });
    const { url } = await proxy.listen();
    try {
      mux.acquireError = new TypeError("secret internals");
      const response = await postJson(url, "/v1/completions", { model: "alpha" });
      expect(response.status).toBe(500);
      expect(errorOf(response)).toMatchObject({ code: "LLMUX_ERR_PROXY_INTERNAL", message: "Internal error in llmux." });
      expect(logged).toHaveLength(1);
    } finally {
      await proxy.destroy();
    }
  });
});
