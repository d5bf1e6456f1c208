import type { IncomingMessage } from "node:http";
import { BodyTimeoutError, BodyTooLargeError } from "./errors.js";

export interface ReadBodyOptions {
  /** Largest body accepted, in bytes; past it reading stops and the promise rejects with a 413 error. */
  limit: number;
  /** Reject with a 408 error when no data arrives for this long. 0 disables. */
  idleTimeoutMs: number;
}

/** The client went away before its body was complete. Never sent (nobody is listening). */
export class ClientGoneError extends Error {
  constructor() {
    super("client closed the connection before the request body was complete");
    this.name = "ClientGoneError";
  }
}

/**
 * Read a request body into one Buffer, refusing to hold more than `limit`
 * bytes: a declared Content-Length over the limit is refused before any byte
 * is read, and a chunked body is cut off as soon as it passes the limit (the
 * caller drains the rest within bounds with `discardRestOfBody`, then answers 413).
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > options.limit) {
    return Promise.reject(new BodyTooLargeError(options.limit));
  }
  const length = Number(declared);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    // A large declared body is copied into one buffer as it arrives: a list of chunks joined at the end
    // would hold the body twice at that moment.
    const into = declared !== undefined && Number.isSafeInteger(length) && length > PREALLOCATE_FROM_BYTES ? Buffer.allocUnsafe(length) : undefined;
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;

    const finish = (error: Error | undefined, body?: Buffer): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      if (error !== undefined) {
        // Stop pulling bytes we will not use; the response closes the connection.
        req.pause();
        reject(error);
      } else {
        resolve(body ?? Buffer.alloc(0));
      }
    };
    // One timer per body, pushed back on each chunk (refresh, not a new timer each time).
    const armTimer = (): void => {
      if (options.idleTimeoutMs <= 0) return;
      if (timer !== undefined) timer.refresh();
      else timer = setTimeout(() => finish(new BodyTimeoutError(options.idleTimeoutMs)), options.idleTimeoutMs);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > options.limit) {
        finish(new BodyTooLargeError(options.limit));
        return;
      }
      // Node's parser passes exactly the declared length (more would be the next request).
      if (into !== undefined) chunk.copy(into, size - chunk.length);
      else chunks.push(chunk);
      armTimer();
    };
    const onEnd = (): void => {
      if (into !== undefined) finish(undefined, size === into.length ? into : into.subarray(0, size));
      else finish(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (): void => finish(new ClientGoneError());
    const onClose = (): void => {
      if (!req.complete) finish(new ClientGoneError());
    };

    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
    armTimer();
  });
}

/** Smaller bodies arrive in a chunk or a few: joining them costs little. */
const PREALLOCATE_FROM_BYTES = 64 * 1024;

export interface DiscardOptions {
  /** Give up past this many bytes ... */
  maxBytes: number;
  /** ... or after this long in all ... */
  maxMs: number;
  /** ... or when nothing arrives for this long (a client waiting for the answer before it uploads). */
  idleMs: number;
}

/**
 * Read and throw away the rest of a refused body, within bounds. Answering
 * while the client is still uploading and then closing would leave unread
 * bytes in the socket: the kernel then sends a reset and the client loses the
 * answer it has not read yet. So the caller answers once this resolves: true
 * when the body ended (closing is then clean), false when the client went
 * away, went quiet, or kept sending past the bounds (the caller answers and
 * cuts it off). A client that sent `Expect: 100-continue` has sent nothing
 * yet: reading would invite the body, so the caller answers at once instead.
 */
export function discardRestOfBody(req: IncomingMessage, options: DiscardOptions): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  if (req.destroyed) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    let discarded = 0;
    const done = (drained: boolean): void => {
      clearTimeout(overall);
      clearTimeout(idle);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      if (!drained) req.pause();
      resolve(drained);
    };
    const overall = setTimeout(() => done(false), options.maxMs);
    let idle = setTimeout(() => done(false), options.idleMs);
    const onData = (chunk: Buffer): void => {
      discarded += chunk.length;
      if (discarded > options.maxBytes) return done(false);
      clearTimeout(idle);
      idle = setTimeout(() => done(false), options.idleMs);
    };
    const onEnd = (): void => done(true);
    const onClose = (): void => done(req.complete);
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("close", onClose);
    req.resume();
  });
}

/** The client asked to be told before it sends its body. */
export function expectsContinue(req: IncomingMessage): boolean {
  return /100-continue/i.test(req.headers.expect ?? "");
}
