import { request } from "node:http";
import { type Socket, connect } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeMux } from "./helpers/fake-mux.js";
import { FakeUpstream } from "./helpers/fake-upstream.js";
import { errorOf, postJson, rawRequest } from "./helpers/http.js";
import { type StartedProxy, startProxy } from "./helpers/start-proxy.js";

describe("bad input never reaches a model", () => {
  let upstream: FakeUpstream;
  let mux: FakeMux;
  let started: StartedProxy;

  beforeEach(async () => {
    upstream = new FakeUpstream();
    mux = new FakeMux({ alpha: await upstream.start() });
    started = await startProxy(mux, ["alpha"], { max_body_bytes: 4096 });
  });

  afterEach(async () => {
    await started?.proxy.destroy();
    await upstream?.stop();
  });

  it("answers malformed JSON with 400", async () => {
    const response = await postJson(started.url, "/v1/chat/completions", '{"model": "alpha",');
    expect(response.status).toBe(400);
    expect(errorOf(response).code).toBe("LLMUX_ERR_INVALID_BODY");
  });

  it("answers a missing model with 400 naming the param", async () => {
    const response = await postJson(started.url, "/v1/completions", { prompt: "hi" });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: "LLMUX_ERR_MISSING_MODEL", param: "model" });
  });

  it("answers an unknown model with 404 worded as vLLM words it", async () => {
    const response = await postJson(started.url, "/v1/chat/completions", { model: "nope", messages: [] });
    expect(response.status).toBe(404);
    expect(errorOf(response)).toMatchObject({ message: "The model `nope` does not exist.", type: "NotFoundError" });
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const response = await rawRequest(started.url, { method: "GET", path: "/v1/chat/completions" });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("POST");
    expect(errorOf(response).code).toBe("LLMUX_ERR_METHOD_NOT_ALLOWED");
  });

  it("answers a wrong content type with 415", async () => {
    const response = await rawRequest(started.url, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "text/plain" },
      body: '{"model":"alpha"}',
    });
    expect(response.status).toBe(415);
    expect(errorOf(response).code).toBe("LLMUX_ERR_UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers a declared oversized body with 413 before reading it", async () => {
    const response = await postJson(started.url, "/v1/chat/completions", { model: "alpha", pad: "x".repeat(5000) });
    expect(response.status).toBe(413);
    expect(response.headers.connection).toBe("close");
    expect(errorOf(response).code).toBe("LLMUX_ERR_BODY_TOO_LARGE");
  });

  it("answers a chunked body that never ends with 413 once the drain bound passes", async () => {
    const base = new URL(started.url);
    const result = await new Promise<{ status: number; body: string; written: number }>((resolve, reject) => {
      let written = 0;
      let responded = false;
      const req = request(
        { host: base.hostname, port: base.port, method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json" }, agent: false },
        (res) => {
          responded = true;
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), written });
          });
        },
      );
      req.on("error", (error) => (responded ? undefined : reject(error)));
      // Keep sending (chunked, no Content-Length) until the proxy answers: it drains for a bounded time, then answers.
      const pump = (): void => {
        if (responded || req.destroyed) return;
        written += 1024;
        req.write("x".repeat(1024), () => setTimeout(pump, 2));
      };
      req.write('{"model":"alpha","pad":"');
      pump();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body).error.code).toBe("LLMUX_ERR_BODY_TOO_LARGE");
    expect(upstream.seen).toHaveLength(0);
  });

  it("drains a whole oversized upload before answering, so the client reads its 413 instead of a reset", async () => {
    const body = JSON.stringify({ model: "alpha", pad: "x".repeat(200_000) });
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = await rawExchange(started.url, (socket) => {
        socket.write(head);
        socket.write(body);
      });
      expect(answer.error, `attempt ${attempt}`).toBeUndefined();
      expect(answer.text).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer.text).toContain("LLMUX_ERR_BODY_TOO_LARGE");
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it("answers Expect: 100-continue over the limit with 413 and no invitation; within it, invites the body", async () => {
    const over = await rawExchange(started.url, (socket) => {
      socket.write(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n",
      );
    });
    expect(over.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(over.text).not.toContain("100 Continue");

    const body = JSON.stringify({ model: "alpha", messages: [] });
    const within = await rawExchange(started.url, (socket) => {
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      );
      socket.once("data", () => socket.write(body));
    });
    expect(within.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(upstream.seen).toHaveLength(1);
  });

  it("answers unknown paths with 404 and never forwards vLLM admin or simulator routes", async () => {
    for (const path of ["/sleep?level=1", "/wake_up", "/collective_rpc", "/reset_prefix_cache", "/pause", "/_sim/fault", "/v1/chat/completions/"]) {
      const response = await postJson(started.url, path, { model: "alpha", method: "reload_weights" });
      expect(response.status, path).toBe(404);
      expect(errorOf(response).code, path).toBe("LLMUX_ERR_ROUTE_NOT_FOUND");
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it("answers non-canonical targets with 400 (dot segments, encoded slashes, absolute-form)", async () => {
    for (const path of ["/v1/../sleep", "/v1%2f..%2fsleep", "/v1/chat%2Fcompletions", "http://127.0.0.1:1/sleep", "/v1//completions"]) {
      const response = await postJson(started.url, path, { model: "alpha" });
      expect(response.status, path).toBe(400);
      expect(errorOf(response).code, path).toBe("LLMUX_ERR_BAD_PATH");
    }
    expect(upstream.seen).toHaveLength(0);
  });

  it("times out a client that stops sending its body (408)", async () => {
    await started.proxy.destroy();
    started = await startProxy(mux, ["alpha"], { idle_timeout_secs: 0.3 });
    const base = new URL(started.url);
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: base.hostname,
          port: base.port,
          method: "POST",
          path: "/v1/completions",
          headers: { "content-type": "application/json", "content-length": "100" },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        },
      );
      req.on("error", reject);
      req.write('{"model":"alpha"');
    });
    expect(response.status).toBe(408);
    expect(JSON.parse(response.body).error.code).toBe("LLMUX_ERR_BODY_TIMEOUT");
  });

  it("records one request event per bad request with its status", async () => {
    await postJson(started.url, "/v1/chat/completions", { model: "nope" });
    const [record] = await started.waitRecords(1);
    expect(record).toMatchObject({ method: "POST", path: "/v1/chat/completions", model: "nope", status: 404, errorCode: "LLMUX_ERR_MODEL_NOT_FOUND" });
  });
});

/** Open a raw connection, let `send` write to it, and collect everything until the server closes it. */
function rawExchange(url: string, send: (socket: Socket) => void): Promise<{ text: string; error?: Error }> {
  const base = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: Error | undefined;
    const socket = connect(Number(base.port), base.hostname, () => send(socket));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (caught) => (error = caught));
    socket.setTimeout(20_000, () => socket.destroy(new Error("no answer within 20 s")));
    socket.on("close", () => resolve({ text: Buffer.concat(chunks).toString(), ...(error ? { error } : {}) }));
  });
}
