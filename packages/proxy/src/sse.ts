import type { ServerResponse } from "node:http";
import type { OpenAIErrorBody } from "./openai-error.js";

/** Headers vLLM sends on a stream; `x-accel-buffering` asks nginx-like fronts not to buffer. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

/** Commit a 200 event stream before the upstream answered (keep-alives follow). */
export function commitSse(res: ServerResponse): void {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
}

/** An SSE comment line; clients ignore it, proxies and clients see a live connection. */
export function writeSseComment(res: ServerResponse, text: string): boolean {
  return res.write(`: ${text.replace(/[\r\n]+/g, " ")}\n\n`);
}

/**
 * End a stream with an error event then `[DONE]`, as vLLM ends a stream that
 * fails after its 200. `midEvent` is true when the bytes already sent stop
 * inside an event; the event is closed first so the error parses on its own.
 */
export function endSseWithError(res: ServerResponse, body: OpenAIErrorBody, midEvent: boolean): void {
  if (res.destroyed || res.writableEnded) return;
  res.end(`${midEvent ? "\n\n" : ""}data: ${JSON.stringify(body)}\n\ndata: [DONE]\n\n`);
}

const LF = 0x0a;

/**
 * Tracks whether forwarded SSE bytes end on an event boundary (a blank line),
 * so an error event can be appended cleanly after a stream dies mid-event.
 * It sees every chunk of every stream: it keeps two bytes, not strings.
 */
export class SseBoundaryTracker {
  private last = LF;
  private beforeLast = LF;
  private sawDone = false;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.beforeLast = chunk.length > 1 ? (chunk[chunk.length - 2] as number) : this.last;
    this.last = chunk[chunk.length - 1] as number;
  }

  /** The stream's `data: [DONE]` line went through (SseTokenEvents reads the lines). */
  markDone(): void {
    this.sawDone = true;
  }

  /**
   * True once `data: [DONE]` went through: the stream is complete for the
   * client (vLLM sends its own error event before it when it fails).
   */
  get done(): boolean {
    return this.sawDone;
  }

  /** True when the bytes so far stop inside an event. */
  get midEvent(): boolean {
    // Extra blank lines are harmless in SSE, so anything but "\n\n" counts as mid-event.
    return this.last !== LF || this.beforeLast !== LF;
  }
}
