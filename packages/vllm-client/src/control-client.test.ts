import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { VllmControlClient } from "./control-client.js";
import { isLlmuxError } from "@llmux/types";
import { freePort } from "@llmux/vllm-sim/testing";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A scripted peer on 127.0.0.1 that records every request it gets. */
async function peer(handler: Handler): Promise<{ url: string; seen: string[]; bodies: string[] }> {
  const seen: string[] = [];
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      seen.push(`${req.method} ${req.url}`);
      bodies.push(body);
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, bodies };
}

function client(url: string, options: ConstructorParameters<typeof VllmControlClient>[1] = {}): VllmControlClient {
  const control = new VllmControlClient(url, { retryBaseMs: 10, ...options });
  cleanups.push(() => control.destroy());
  return control;
}

describe("VllmControlClient", () => {
  it("speaks the contract's routes and parses their answers", async () => {
    const { url, seen, bodies } = await peer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/version") res.end(`{"version":"0.13.0"}`);
      else if (req.url === "/is_sleeping") res.end(`{"is_sleeping":false}`);
      else if (req.url === "/is_paused") res.end(`{"is_paused":true}`);
      else if (req.url === "/collective_rpc") res.end(`{"results":[null]}`);
      else if (req.url?.startsWith("/pause")) res.end(`{"status":"paused"}`);
      else if (req.url === "/resume") res.end(`{"status":"resumed"}`);
      else res.end();
    });
    const control = client(`${url}/`);
    expect(control.url).toBe(url);
    expect(await control.health()).toBe(true);
    expect(await control.version()).toBe("0.13.0");
    await control.sleep(2);
    await control.wakeUp(["weights"]);
    await control.reloadWeights();
    await control.wakeUp(["kv_cache", "weights"]);
    await control.resetPrefixCache();
    expect(await control.isSleeping()).toBe(false);
    await control.wakeUp();
    await control.pause();
    expect(await control.isPaused()).toBe(true);
    await control.resume();
    expect(seen).toEqual([
      "GET /health",
      "GET /version",
      "POST /sleep?level=2",
      "POST /wake_up?tags=weights",
      "POST /collective_rpc",
      "POST /wake_up?tags=kv_cache&tags=weights",
      "POST /reset_prefix_cache",
      "GET /is_sleeping",
      "POST /wake_up",
      "POST /pause?wait_for_inflight_requests=true",
      "GET /is_paused",
      "POST /resume",
    ]);
    expect(JSON.parse(bodies[4] ?? "")).toEqual({ method: "reload_weights" });
  });

  it("turns an unexpected status into LLMUX_ERR_CONTROL_HTTP with status and body", async () => {
    const { url } = await peer((_req, res) => {
      res.statusCode = 404;
      res.end(`{"detail":"Not Found"}`);
    });
    const error = await client(url)
      .sleep(1)
      .catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_CONTROL_HTTP")).toBe(true);
    expect(error).toMatchObject({ responseStatus: 404, responseBody: `{"detail":"Not Found"}`, route: "/sleep?level=1" });
  });

  it("times a hung call out with LLMUX_ERR_CONTROL_TIMEOUT and does not retry it", async () => {
    const { url, seen } = await peer(() => {
      // never answers
    });
    const error = await client(url)
      .isSleeping({ timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_CONTROL_TIMEOUT")).toBe(true);
    expect(seen).toEqual(["GET /is_sleeping"]);
  });

  it("retries idempotent calls after a 5xx, with backoff, and succeeds", async () => {
    let calls = 0;
    const { url, seen } = await peer((_req, res) => {
      calls++;
      res.statusCode = calls < 3 ? 500 : 200;
      res.end(calls < 3 ? "Internal Server Error" : `{"is_sleeping":true}`);
    });
    expect(await client(url, { retries: 2 }).isSleeping()).toBe(true);
    expect(seen).toHaveLength(3);
  });

  it("never retries /sleep", async () => {
    const { url, seen } = await peer((_req, res) => {
      res.statusCode = 500;
      res.end("boom");
    });
    const error = await client(url, { retries: 5 })
      .sleep(1)
      .catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_CONTROL_HTTP")).toBe(true);
    expect(seen).toEqual(["POST /sleep?level=1"]);
  });

  it("reports a refused connection as LLMUX_ERR_CONTROL_UNREACHABLE, and health as false", async () => {
    const port = await freePort();
    const control = client(`http://127.0.0.1:${port}`, { retries: 1 });
    expect(await control.health()).toBe(false);
    const error = await control.version().catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_CONTROL_UNREACHABLE")).toBe(true);
  });

  it("rejects a 200 without the contract's shape with LLMUX_ERR_CONTROL_RESPONSE", async () => {
    const { url } = await peer((req, res) => res.end(req.url === "/version" ? "not json" : `{"sleeping":1}`));
    const control = client(url);
    expect(isLlmuxError(await control.version().catch((e: unknown) => e), "LLMUX_ERR_CONTROL_RESPONSE")).toBe(true);
    expect(isLlmuxError(await control.isSleeping().catch((e: unknown) => e), "LLMUX_ERR_CONTROL_RESPONSE")).toBe(true);
  });

  it("aborts a call in flight with LLMUX_ERR_ABORTED carrying the reason", async () => {
    const { url } = await peer(() => {
      // never answers
    });
    const controller = new AbortController();
    const pending = client(url)
      .sleep(1, { signal: controller.signal, timeoutMs: 60_000 })
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error("caller gave up")), 50);
    const error = await pending;
    expect(isLlmuxError(error, "LLMUX_ERR_ABORTED")).toBe(true);
    expect((error as Error).cause).toEqual(new Error("caller gave up"));
  });
});

describe("VllmControlClient and connections the engine closes", () => {
  it("sends a POST once more when its connection is reset before any response byte, and only once", async () => {
    let resets = 1;
    const { url, seen } = await peer((req, res) => {
      if (resets > 0) {
        resets--;
        // Like uvicorn closing an idle connection as the call arrives: no answer, the socket just goes.
        req.socket.destroy();
        return;
      }
      res.end("{}");
    });
    const control = client(url);
    await control.sleep(1);
    expect(seen).toEqual(["POST /sleep?level=1", "POST /sleep?level=1"]);

    resets = 5;
    seen.length = 0;
    const error = await control.sleep(1).catch((caught: unknown) => caught);
    expect(isLlmuxError(error, "LLMUX_ERR_CONTROL_UNREACHABLE")).toBe(true);
    expect(seen).toEqual(["POST /sleep?level=1", "POST /sleep?level=1"]);
  });

  it("never resends a POST whose answer had begun", async () => {
    const { url, seen } = await peer((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("{");
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await client(url)
      .sleep(1)
      .catch((caught: unknown) => caught);
    expect(isLlmuxError(error, "LLMUX_ERR_CONTROL_UNREACHABLE")).toBe(true);
    expect(seen).toEqual(["POST /sleep?level=1"]);
  });
});
