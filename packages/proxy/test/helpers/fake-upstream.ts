import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export type UpstreamBehaviour =
  | { kind: "json" }
  | { kind: "stream"; chunks: number; intervalMs: number }
  | { kind: "crash-mid-stream"; chunks: number }
  | { kind: "error"; status: number }
  | { kind: "hang" }
  /** Never answer at all (no head). */
  | { kind: "silent" }
  /** `total` bytes of SSE-looking data as fast as the connection takes them. */
  | { kind: "firehose"; total: number }
  /** One event, then wait for `openGate()`, then two more and `[DONE]`. */
  | { kind: "gated-stream" };

/**
 * A small vLLM-shaped HTTP server for the proxy's own tests (the simulator is
 * used where vLLM's behaviour is the subject). It records what reached it and
 * whether the proxy cancelled a response before its end.
 */
export class FakeUpstream {
  readonly seen: SeenRequest[] = [];
  /** Responses whose connection closed before they ended (the proxy aborted them). */
  cancelled = 0;
  /** Bytes of a firehose response the socket has accepted so far. */
  flushed = 0;
  behaviour: UpstreamBehaviour = { kind: "json" };
  private gate: (() => void) | undefined;
  private gatePromise = new Promise<void>((resolve) => (this.gate = resolve));

  openGate(): void {
    this.gate?.();
  }
  private readonly server: Server;
  private readonly open = new Set<ServerResponse>();

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      this.seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
      this.open.add(res);
      res.on("close", () => {
        this.open.delete(res);
        if (!res.writableFinished) this.cancelled++;
      });
      this.respond(res);
    });
  }

  private respond(res: ServerResponse): void {
    const behaviour = this.behaviour;
    switch (behaviour.kind) {
      case "json": {
        const body = JSON.stringify({ id: "chatcmpl-1", object: "chat.completion", choices: [] });
        res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes", connection: "keep-alive", "keep-alive": "timeout=5" });
        res.end(body);
        return;
      }
      case "error": {
        res.writeHead(behaviour.status, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "boom", type: "BadRequestError", param: null, code: behaviour.status } }));
        return;
      }
      case "gated-stream":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write('data: {"n":0}\n\n');
        void this.gatePromise.then(() => {
          if (res.destroyed) return;
          res.write('data: {"n":1}\n\n');
          res.end('data: {"n":2}\n\ndata: [DONE]\n\n');
        });
        return;
      case "silent":
        return;
      case "firehose": {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = Buffer.from(`data: ${"x".repeat(64 * 1024 - 8)}\n\n`);
        const pump = (): void => {
          while (this.flushed < behaviour.total && !res.destroyed) {
            this.flushed += chunk.length;
            if (!res.write(chunk)) {
              res.once("drain", pump);
              return;
            }
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
      case "hang":
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.flushHeaders();
        return;
      case "stream":
      case "crash-mid-stream": {
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
        let sent = 0;
        const total = behaviour.chunks;
        const interval = behaviour.kind === "stream" ? behaviour.intervalMs : 5;
        const tick = (): void => {
          if (res.destroyed) return;
          if (sent === total) {
            if (behaviour.kind === "crash-mid-stream") {
              // Half an event, then the connection dies, as a crashing engine leaves it.
              res.write('data: {"partial":');
              setTimeout(() => res.socket?.destroy(), 20);
              return;
            }
            res.end("data: [DONE]\n\n");
            return;
          }
          res.write(`data: {"n":${sent}}\n\n`);
          sent++;
          setTimeout(tick, interval);
        };
        tick();
        return;
      }
    }
  }
}
