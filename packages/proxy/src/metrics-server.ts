import { type Server, createServer } from "node:http";
import type { ProxyMetrics } from "./metrics.js";

/** The listener on `metrics_port`: `GET /metrics` in Prometheus text format, 404 for anything else. */
export function serveMetrics(metrics: ProxyMetrics): Server {
  return createServer((req, res) => {
    req.resume();
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found\n");
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { "content-type": contentType, "content-length": String(Buffer.byteLength(body)) });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      (error: unknown) => {
        res.writeHead(500, { "content-type": "text/plain" }).end(`metrics collection failed: ${String(error)}\n`);
      },
    );
  });
}
