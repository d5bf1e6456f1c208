import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { ProxyMetrics } from "./metrics.js";
import type { ProxyConfigView } from "./mux.js";

/** The listener on `metrics_port`: `GET <path>` in Prometheus text format, 404 for anything else. */
export function serveMetrics(metrics: ProxyMetrics, path = "/metrics"): Server {
  return createServer((req, res) => {
    req.resume();
    const requested = (req.url ?? "/").split("?")[0];
    if (requested !== path || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found\n");
      return;
    }
    answerMetrics(metrics, req, res);
  });
}

/** Answer a GET or HEAD with the Prometheus text of every metric (also used on the proxy's port). */
export function answerMetrics(metrics: ProxyMetrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return metrics.render().then(
    ({ contentType, body }) => {
      res.writeHead(200, { "content-type": contentType, "content-length": String(Buffer.byteLength(body)) });
      res.end(req.method === "HEAD" ? undefined : body);
    },
    (error: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" }).end(`metrics collection failed: ${String(error)}\n`);
    },
  );
}

/** A scrape of `metrics_path` on the proxy's own port, when `metrics_on_proxy_port` asks for one. */
export function isMetricsScrape(config: ProxyConfigView, req: IncomingMessage): boolean {
  if (!config.metrics_on_proxy_port || (req.method !== "GET" && req.method !== "HEAD")) return false;
  return (req.url ?? "/").split("?")[0] === (config.metrics_path ?? "/metrics");
}
