import type { ServerResponse } from "node:http";
import { SSE_HEADERS } from "./sse.js";

/**
 * Open a server-sent event stream on `res` that ends when the client leaves
 * or `closing` aborts (the proxy shuts down: a stream that never ends would
 * hold the shutdown for its whole grace period). `onEnd` runs once.
 */
export function openEventStream(res: ServerResponse, closing: AbortSignal, onEnd: () => void): void {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    closing.removeEventListener("abort", end);
    onEnd();
    if (!res.writableEnded) res.end();
  };
  res.on("close", end);
  closing.addEventListener("abort", end);
  if (closing.aborted) end();
}

/** A reader this far behind (bytes buffered for it) is cut off, so a stalled client cannot grow llmux's memory. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** One SSE event; every line of `data` gets its own `data:` field, as the format requires. */
export function writeEvent(res: ServerResponse, data: string, event?: string): void {
  if (res.writableEnded || res.destroyed) return;
  if (res.writableLength > MAX_BUFFERED_BYTES) {
    res.destroy();
    return;
  }
  const name = event === undefined ? "" : `event: ${event}\n`;
  res.write(
    `${name}${data
      .split(/\r\n|\r|\n/)
      .map((line) => `data: ${line}`)
      .join("\n")}\n\n`,
  );
}
