import { afterEach, describe, expect, it } from "vitest";
import { FakeMux } from "./helpers/fake-mux.js";
import { FakeUpstream } from "./helpers/fake-upstream.js";
import { rawRequest } from "./helpers/http.js";
import { type StartedProxy, startProxy, until } from "./helpers/start-proxy.js";
import { openStream, sseData } from "./helpers/stream-client.js";

describe("close and destroy", () => {
  let upstream: FakeUpstream | undefined;
  let started: StartedProxy | undefined;

  afterEach(async () => {
    await started?.proxy.destroy();
    await upstream?.stop();
  });

  it("close() lets an in-flight stream finish, answers /health 503 and new requests 503 meanwhile, and is idempotent", async () => {
    upstream = new FakeUpstream();
    upstream.behaviour = { kind: "gated-stream" };
    const mux = new FakeMux({ alpha: await upstream.start() });
    started = await startProxy(mux, ["alpha"], { shutdown_grace_secs: 20 });
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    await client.waitFor((text) => text.includes('{"n":0}'), "first event");
    let closed = false;
    const closing = started.proxy.close().then(() => (closed = true));
    const again = started.proxy.close();
    // The listener stays open while the stream finishes: a probe reads "closing", not a refused connection.
    const health = await rawRequest(started.url, { path: "/health" });
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toEqual({ status: "closing" });
    const refused = await rawRequest(started.url, {
      method: "POST",
      path: "/v1/chat/completions",
      body: JSON.stringify({ model: "alpha" }),
      headers: { "content-type": "application/json" },
    });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).error.code).toBe("LLMUX_ERR_SHUTTING_DOWN");
    expect(closed).toBe(false);
    upstream.openGate();
    expect(sseData(await client.ended)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', "[DONE]"]);
    await Promise.all([closing, again]);
    expect(closed).toBe(true);
    await expect(started.proxy.listen()).rejects.toMatchObject({ code: "LLMUX_ERR_PROXY_STATE" });
  });

  it("close() aborts what is still running after the grace period, with an error event", async () => {
    upstream = new FakeUpstream();
    upstream.behaviour = { kind: "gated-stream" };
    const mux = new FakeMux({ alpha: await upstream.start() });
    started = await startProxy(mux, ["alpha"], { shutdown_grace_secs: 0.2 });
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    await client.waitFor((text) => text.includes('{"n":0}'), "first event");
    await started.proxy.close();
    const data = sseData(await client.ended);
    expect(JSON.parse(data.at(-2) ?? "").error.code).toBe("LLMUX_ERR_SHUTTING_DOWN");
    await until(() => upstream?.cancelled === 1, "the upstream request to be cancelled");
    expect(mux.leases[0]?.released).toBe(true);
  });

  it("destroy() ends everything at once", async () => {
    upstream = new FakeUpstream();
    upstream.behaviour = { kind: "hang" };
    const mux = new FakeMux({ alpha: await upstream.start() });
    started = await startProxy(mux, ["alpha"], { shutdown_grace_secs: 60 });
    const client = openStream(started.url, "/v1/chat/completions", { model: "alpha", stream: true });
    await client.head;
    await Promise.all([started.proxy.destroy(), started.proxy.destroy()]);
    await client.ended.catch(() => undefined);
    await until(() => upstream?.cancelled === 1, "the upstream request to be cancelled");
    expect(mux.leases[0]?.released).toBe(true);
  });
});
