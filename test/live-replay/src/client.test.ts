import type { TraceRequest } from "@llmux/core";
import { once } from "node:events";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayRequests } from "./client.js";
import { SCALE } from "./trace.js";

// A stand-in for llmux on a real socket: per model, the answer shapes the
// replay must tell apart. Times are taken in this process, on the client's clock.
interface Seen {
  receivedAt: number;
  dataAt?: number;
  body: Record<string, unknown>;
  requestId: string | undefined;
}
const served = new Map<string, Seen>();

function answer(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
  const model = String(body.model);
  const seen: Seen = { receivedAt: performance.now(), body, requestId: req.headers["x-request-id"] as string | undefined };
  served.set(model, seen);
  if (model === "busy") {
    res.writeHead(429, { "content-type": "application/json", "retry-after": "7" });
    res.end(JSON.stringify({ error: { message: "overloaded", type: "rate_limit_error", code: "LLMUX_ERR_OVERLOADED" } }));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  // A queued request gets comments first; they are not its answer.
  res.write(": waiting\n\n");
  setTimeout(() => {
    seen.dataAt = performance.now();
    if (model === "cut") {
      res.end(`data: ${JSON.stringify({ error: { message: "engine crashed", code: "LLMUX_ERR_ENGINE_CRASHED" } })}\n\n`);
      return;
    }
    res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: "x" } }] })}\n\n`);
    const options = body.stream_options as { include_usage?: boolean } | undefined;
    if (options?.include_usage === true)
      res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 1, completion_tokens: body.max_tokens } })}\n\n`);
    res.end("data: [DONE]\n\n");
  }, 50);
}

const server = createServer((req, res) => {
  let text = "";
  req.on("data", (chunk) => {
    text += String(chunk);
  });
  req.on("end", () => answer(req, res, JSON.parse(text) as Record<string, unknown>));
});
const agent = new Agent({ connections: 8 });
let url = "";

beforeAll(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await agent.close();
  server.close();
});

describe("replayRequests", () => {
  it("sends each request at its scaled arrival and tells a served stream, a refusal and a cut-off answer apart", async () => {
    const trace: TraceRequest[] = [
      { t: 0, model: "ok", tokens: 700 },
      { t: 1, model: "busy", tokens: 500 },
      { t: 0.5, model: "cut", tokens: 600 },
    ];
    const { outcomes, makespanSecs } = await replayRequests(url, agent, trace, { includeUsage: true });
    const [ok, busy, cut] = outcomes;

    expect(served.get("ok")?.body).toMatchObject({ max_tokens: 700, ignore_eos: true, stream: true, stream_options: { include_usage: true } });
    expect(outcomes.map((o) => o.requestId)).toEqual(["replay-0", "replay-1", "replay-2"]);
    expect([...served.values()].map((s) => s.requestId).sort()).toEqual(["replay-0", "replay-1", "replay-2"]);

    expect(ok).toMatchObject({ model: "ok", status: 200, done: true, tokens: 700, servedTokens: 700 });
    // The first answer event came after the comment: the client saw it no sooner than the server wrote it.
    const okServer = served.get("ok");
    expect(ok?.firstMs).toBeDefined();
    expect((ok?.firstMs ?? 0) - (ok?.sentMs ?? 0)).toBeGreaterThanOrEqual((okServer?.dataAt ?? Number.POSITIVE_INFINITY) - (okServer?.receivedAt ?? 0));
    expect(ok?.waitSecs).toBeCloseTo((((ok?.firstMs ?? 0) - (ok?.sentMs ?? 0)) / 1000) * SCALE, 6);

    // Arrival 1 s into the trace is sent 1 s / SCALE into the replay, never before (a timer alone may fire early).
    expect(busy?.sentMs).toBeGreaterThanOrEqual(1000 / SCALE);
    expect(busy).toMatchObject({ status: 429, done: false, retryAfterSecs: 7, errorCode: "LLMUX_ERR_OVERLOADED" });
    expect(busy?.refusedInMs).toBeGreaterThanOrEqual(0);
    expect(busy?.firstMs).toBeUndefined();

    // An error event inside a 200 stream is a loss, not an answer.
    expect(cut).toMatchObject({ status: 500, done: false, errorCode: "LLMUX_ERR_ENGINE_CRASHED" });
    expect(cut?.servedTokens).toBeUndefined();
    expect(cut?.refusedInMs).toBeUndefined();

    expect(makespanSecs).toBeGreaterThanOrEqual(((busy?.endMs ?? 0) / 1000) * SCALE);
  });

  it("asks for no usage unless told to (llmux measures tokens from it when a stream reports it)", async () => {
    const { outcomes } = await replayRequests(url, agent, [{ t: 0, model: "plain", tokens: 300 }]);
    expect(served.get("plain")?.body).not.toHaveProperty("stream_options");
    expect(outcomes[0]).toMatchObject({ model: "plain", status: 200, done: true, tokens: 300 });
    expect(outcomes[0]?.servedTokens).toBeUndefined();
  });
});
