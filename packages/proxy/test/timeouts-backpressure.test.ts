import { connect } from "node:net";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { FakeMux } from "./helpers/fake-mux.js";
import { FakeUpstream } from "./helpers/fake-upstream.js";
import { errorOf, postJson } from "./helpers/http.js";
import { type StartedProxy, startProxy } from "./helpers/start-proxy.js";

describe("timeouts and backpressure", () => {
  let upstream: FakeUpstream | undefined;
  let started: StartedProxy | undefined;

  afterEach(async () => {
    await started?.proxy.destroy();
    await upstream?.stop();
  });

  it("closes a client that does not finish its request head within headers_timeout_secs", async () => {
    upstream = new FakeUpstream();
    started = await startProxy(new FakeMux({ alpha: await upstream.start() }), ["alpha"], { headers_timeout_secs: 0.3 });
    const base = new URL(started.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(base.port), base.hostname);
      let received = "";
      socket.on("data", (chunk) => (received += chunk.toString()));
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
      socket.write("POST /v1/completions HTTP/1.1\r\nHost: x\r\n");
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("answers 504 when the model sends no response head within the upstream timeout", async () => {
    upstream = new FakeUpstream();
    upstream.behaviour = { kind: "silent" };
    const mux = new FakeMux({ alpha: await upstream.start() });
    started = await startProxy(mux, ["alpha"], { upstreamTimeoutMs: 300 });
    const response = await postJson(started.url, "/v1/completions", { model: "alpha" });
    expect(response.status).toBe(504);
    expect(errorOf(response).code).toBe("LLMUX_ERR_UPSTREAM_TIMEOUT");
    expect(mux.leases[0]?.released).toBe(true);
  });

  it("reads from the model only as fast as the client reads (no unbounded buffering)", async () => {
    const total = 64 * 1024 * 1024;
    upstream = new FakeUpstream();
    upstream.behaviour = { kind: "firehose", total };
    started = await startProxy(new FakeMux({ alpha: await upstream.start() }), ["alpha"]);
    const base = new URL(started.url);
    let received = 0;
    const response = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
      const req = request(
        { host: base.hostname, port: base.port, method: "POST", path: "/v1/completions", headers: { "content-type": "application/json" }, agent: false },
        resolve,
      );
      req.on("error", reject);
      req.end(JSON.stringify({ model: "alpha", stream: true }));
    });
    response.pause();
    // Wait until the pipeline is full: the model's writes stop advancing for a while although the client reads nothing.
    const deadline = Date.now() + 30_000;
    for (let last = -1; ; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (upstream.flushed === last || Date.now() > deadline) break;
      last = upstream.flushed;
    }
    // Only socket buffers sit between the two ends; the proxy holds no backlog of its own.
    expect(upstream.flushed).toBeLessThan(total / 2);
    response.on("data", (chunk: Buffer) => (received += chunk.length));
    response.resume();
    await new Promise((resolve) => response.on("end", resolve));
    expect(received).toBe(total);
  }, 60_000);
});
