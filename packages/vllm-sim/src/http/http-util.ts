import type { IncomingMessage, ServerResponse } from "node:http";

export const maxBodyBytes = 32 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

/** Read the whole request body (bounded). */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBodyBytes) throw new BodyTooLargeError("request body too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** 200 with an empty body, as vLLM's `Response(status_code=200)`. */
export function sendEmpty(res: ServerResponse, status = 200): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-length": 0 });
  res.end();
}

export function sendPlain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** vLLM's error body: `{"error":{"message","type","param","code"}}`. */
export function errorBody(status: number, message: string, type: string, param: string | null = null): unknown {
  return { error: { message, type, param, code: status } };
}

export function sendError(res: ServerResponse, status: number, message: string, type: string, param: string | null = null): void {
  sendJson(res, status, errorBody(status, message, type, param));
}

export const badRequest = (res: ServerResponse, message: string): void => sendError(res, 400, message, "Bad Request");

/** Starlette's answers for routes that do not exist or do not take this method. */
export const starletteNotFound = (res: ServerResponse): void => sendJson(res, 404, { detail: "Not Found" });
export const starletteMethodNotAllowed = (res: ServerResponse): void => sendJson(res, 405, { detail: "Method Not Allowed" });

/** Write with backpressure: wait for `drain` when the socket's buffer is full. */
export async function writeChunk(res: ServerResponse, data: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(data)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

export function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Random id suffix like vLLM's (`chatcmpl-<hex>`). */
/**
 * The client's `x-request-id` (llmux forwards its own), recorded on the
 * events about the request so a log line can be matched to llmux's.
 */
export function requestIdOf(res: ServerResponse): string | undefined {
  const value = res.req?.headers["x-request-id"];
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function randomId(prefix: string): string {
  let hex = "";
  for (let i = 0; i < 32; i++) hex += Math.floor(Math.random() * 16).toString(16);
  return `${prefix}-${hex}`;
}
