#!/usr/bin/env node
/**
 * A reference point, not a product: the smallest reasonable Node pass-through
 * (node:http in, undici out, bytes streamed back with backpressure). What it
 * costs is what any Node proxy pays before doing anything of its own, so the
 * gap between it and llmux is llmux's own work.
 *
 * Usage: bare-proxy.js <listen port> <upstream origin>
 */
import { createServer } from "node:http";
import { Agent } from "undici";

const [portText, upstream] = process.argv.slice(2);
if (!portText || !upstream) throw new Error("usage: bare-proxy.js <port> <upstream origin>");
const agent = new Agent({ keepAliveTimeout: 30_000, connections: null });

const server = createServer(async (req, res) => {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  try {
    const response = await agent.request({
      origin: upstream,
      path: req.url ?? "/",
      method: (req.method ?? "GET") as "GET",
      headers: { "content-type": req.headers["content-type"] ?? "application/json" },
      body: Buffer.concat(parts),
      signal: abort.signal,
    });
    const headers: Record<string, string> = {};
    const type = response.headers["content-type"];
    if (typeof type === "string") headers["content-type"] = type;
    const length = response.headers["content-length"];
    if (typeof length === "string") headers["content-length"] = length;
    res.writeHead(response.statusCode, headers);
    if (length === undefined) res.flushHeaders();
    for await (const chunk of response.body) {
      if (!res.write(chunk))
        await new Promise((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
      if (res.destroyed) break;
    }
    res.end();
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.listen(Number(portText), "127.0.0.1");
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
