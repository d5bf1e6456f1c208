#!/usr/bin/env node
/**
 * The bench's minimal upstream: a node:http server invoked like `vllm serve`
 * (so llmux can start it as its `vllm_command`) that answers the routes llmux
 * needs with as little work as possible. The proxy-only scenarios use it so
 * that the upstream's own cost is small and the same for every column.
 *
 * Streaming chunks carry `"t"`: the upstream's CLOCK_MONOTONIC in ns when the
 * chunk was written (fixed width, so every stream has the same byte count).
 * The client reads the same clock, so chunk delay is exact across processes.
 *
 * Request fields it understands besides OpenAI's: `bench_interval_ms` (pause
 * between chunks; 0 = as fast as the socket takes them).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { parseUpstreamArgs } from "./upstream-args.js";

const args = parseUpstreamArgs(process.argv.slice(2));
let sleeping = false;
/** Streams being written now; `GET /_bench/stats` reports it so the bench can see aborts reach the upstream. */
let openStreams = 0;
/** TCP connections accepted so far: shows whether a proxy reuses its upstream connections. */
let connectionsAccepted = 0;

const COMPLETION = (model: string): string =>
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: 1700000000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: "Hello there, this is a short answer." }, finish_reason: "stop" }],
    usage: { prompt_tokens: 9, total_tokens: 17, completion_tokens: 8, prompt_tokens_details: null },
  });

function stamp(): string {
  return process.hrtime.bigint().toString().padStart(20, "0");
}

function chunk(model: string, content: string): string {
  return `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"${model}","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}],"t":"${stamp()}"}\n\n`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

async function stream(res: ServerResponse, model: string, tokens: number, intervalMs: number): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let closed = false;
  openStreams++;
  res.on("close", () => {
    closed = true;
    openStreams--;
  });
  const first = `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"${model}","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"t":"${stamp()}"}\n\n`;
  res.write(first);
  for (let index = 0; index < tokens && !closed; index++) {
    // One chunk per turn of the event loop, as an engine emits tokens: never batched by us.
    await new Promise((resolve) => (intervalMs > 0 ? setTimeout(resolve, intervalMs) : setImmediate(resolve)));
    if (closed) return;
    if (!res.write(chunk(model, "tok "))) await new Promise((resolve) => res.once("drain", resolve));
  }
  if (!closed) res.end("data: [DONE]\n\n");
}

const server = createServer(async (req, res) => {
  const url = req.url ?? "/";
  const path = url.split("?")[0];
  const method = req.method ?? "GET";
  if (method === "GET" && path === "/health") return void res.end();
  if (method === "GET" && path === "/_bench/stats") return void res.end(JSON.stringify({ open_streams: openStreams, connections: connectionsAccepted }));
  if (method === "GET" && path === "/version") return void res.end('{"version":"0.13.0"}');
  if (method === "GET" && path === "/is_sleeping") return void res.end(JSON.stringify({ is_sleeping: sleeping }));
  if (method === "GET" && path === "/v1/models") {
    return void res.end(JSON.stringify({ object: "list", data: [{ id: args.servedName, object: "model", owned_by: "vllm", root: args.modelPath }] }));
  }
  if (method === "POST" && path === "/sleep") {
    sleeping = true;
    return void res.end();
  }
  if (method === "POST" && path === "/wake_up") {
    sleeping = false;
    return void res.end();
  }
  if (method === "POST" && path === "/collective_rpc") return void res.end('{"results":[null]}');
  if (method === "POST" && (path === "/reset_prefix_cache" || path === "/resume")) return void res.end();
  if (method === "POST" && (path === "/v1/chat/completions" || path === "/v1/completions")) {
    const text = await readBody(req);
    let body: { stream?: boolean; max_tokens?: number; bench_interval_ms?: number; model?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      res.statusCode = 400;
      return void res.end('{"error":{"message":"bad json","type":"BadRequestError","param":null,"code":400}}');
    }
    const model = typeof body.model === "string" ? body.model : args.servedName;
    if (body.stream) return stream(res, model, body.max_tokens ?? 16, body.bench_interval_ms ?? 0);
    const answer = COMPLETION(model);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
    return void res.end(answer);
  }
  res.statusCode = 404;
  res.end('{"detail":"Not Found"}');
});

server.on("connection", () => connectionsAccepted++);
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(args.port, args.host, () => {
  process.stdout.write(`bench upstream ${args.servedName} on http://${args.host}:${args.port}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
