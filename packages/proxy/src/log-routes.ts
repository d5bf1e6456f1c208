import type { ServerResponse } from "node:http";
import { ModelNotFoundError } from "./errors.js";
import { openEventStream, writeEvent } from "./event-stream.js";
import { LLMUX_LOG, type LogBook } from "./log-book.js";
import type { ModelNames } from "./model-names.js";

export interface LogRouteDeps {
  logs: LogBook;
  names: ModelNames;
  /** Aborts when the proxy starts to close: followers are let go. */
  closing: AbortSignal;
}

/**
 * `GET /llmux/logs` (llmux's own lines) and `GET /llmux/logs/{model}` (that
 * model's vLLM output; an alias works too): the kept lines as plain text, or
 * with `?follow=1` as server-sent events, one `data:` per line, the kept lines
 * first and then each new one as it is written. The caller checked the key.
 */
export function serveLogs(deps: LogRouteDeps, res: ServerResponse, route: { model?: string | undefined; query: string }): void {
  let source: typeof LLMUX_LOG | string = LLMUX_LOG;
  if (route.model !== undefined) {
    const model = deps.names.resolve(route.model);
    if (model === undefined) throw new ModelNotFoundError(route.model);
    source = model;
  }
  const follow = new URLSearchParams(route.query).get("follow");
  if (follow === "1" || follow === "true") {
    let stop = (): void => {};
    openEventStream(res, deps.closing, () => stop());
    if (res.writableEnded) return;
    for (const line of deps.logs.lines(source)) writeEvent(res, line);
    stop = deps.logs.follow(source, (line) => writeEvent(res, line));
    return;
  }
  const lines = deps.logs.lines(source);
  const text = lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": String(Buffer.byteLength(text)), "cache-control": "no-store" });
  res.end(text);
}
