import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface RawResult {
  /** Everything the server sent. */
  text: string;
  /** Status codes of the responses in `text`, in order. */
  statuses: number[];
  /** The server closed the connection (rather than our timeout ending the exchange). */
  closedByServer: boolean;
}

/** The status codes of the responses in a raw HTTP/1.1 answer, in order (a cut-off last one included). */
export function statusesOf(text: string): number[] {
  return walk(text).statuses;
}

/** Open a socket to 127.0.0.1:port. */
export async function openSocket(port: number): Promise<Socket> {
  const socket = connect({ host: "127.0.0.1", port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => undefined);
  return socket;
}

/**
 * Send `parts` (with `gapMs` between them) on a fresh connection and collect
 * the answer until the server closes, `expectResponses` complete status lines
 * arrived and went quiet, or `timeoutMs` passed. The socket is always destroyed.
 */
export async function exchange(
  port: number,
  parts: Array<string | Buffer>,
  options: { gapMs?: number; timeoutMs?: number; expectResponses?: number } = {},
): Promise<RawResult> {
  const socket = await openSocket(port);
  const chunks: Buffer[] = [];
  let closedByServer = false;
  const closed = new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("close", () => {
      closedByServer = true;
      resolve();
    });
  });
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  try {
    for (const part of parts) {
      if (socket.destroyed) break;
      socket.write(part);
      if ((options.gapMs ?? 0) > 0) await sleep(options.gapMs);
    }
    while (Date.now() < deadline && !closedByServer) {
      const text = Buffer.concat(chunks).toString("latin1");
      if (options.expectResponses !== undefined && completeResponses(text) >= options.expectResponses) break;
      await Promise.race([closed, sleep(25)]);
    }
  } finally {
    socket.destroy();
  }
  const text = Buffer.concat(chunks).toString("latin1");
  return { text, statuses: statusesOf(text), closedByServer };
}

/** How many complete responses (headers plus a Content-Length body, or a finished chunked body) `text` holds. */
export function completeResponses(text: string): number {
  return walk(text).complete;
}

/** Walk responses one after the other by their framing (bodies are not searched for status lines). */
function walk(text: string): { statuses: number[]; complete: number } {
  const statuses: number[] = [];
  let count = 0;
  let rest = text;
  for (;;) {
    const status = /^HTTP\/1\.1 (\d{3})/.exec(rest)?.[1];
    if (status === undefined) return { statuses, complete: count };
    statuses.push(Number(status));
    const headerEnd = rest.indexOf("\r\n\r\n");
    if (headerEnd === -1) return { statuses, complete: count };
    const head = rest.slice(0, headerEnd).toLowerCase();
    const length = /\r\ncontent-length: *(\d+)/.exec(head)?.[1];
    let end: number;
    if (length !== undefined) {
      end = headerEnd + 4 + Number(length);
      if (rest.length < end) return { statuses, complete: count };
    } else if (head.includes("transfer-encoding: chunked")) {
      const last = rest.indexOf("\r\n0\r\n\r\n", headerEnd);
      if (last === -1) return { statuses, complete: count };
      end = last + 7;
    } else {
      end = headerEnd + 4;
    }
    count++;
    rest = rest.slice(end);
  }
}

/** A request's bytes. `body` sets Content-Length unless `headers` already name a length or an encoding. */
export function rawRequest(method: string, target: string, headers: Record<string, string> = {}, body?: string | Buffer): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, "Host: 127.0.0.1"];
  const names = Object.keys(headers).map((name) => name.toLowerCase());
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  if (body !== undefined && !names.includes("content-length") && !names.includes("transfer-encoding")) {
    lines.push(`Content-Length: ${payload.length}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload]);
}

/** A JSON chat request's bytes. */
export function rawChat(model: unknown, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Buffer {
  const body = JSON.stringify({ model, messages: [{ role: "user", content: "hostile" }], max_tokens: 4, temperature: 0, ...extra });
  return rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", ...headers }, body);
}
