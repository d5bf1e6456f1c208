import type { IncomingHttpHeaders } from "node:http";
import { isStaleConnectionError } from "@llmux/vllm-client";
import type { Dispatcher } from "undici";
import { CompletionTokenCounter } from "./completion-tokens.js";
import { mediaType } from "./extract-model.js";
import type { Exchange } from "./forward.js";
import { clientResponseHeaders } from "./headers.js";
import type { ProxyLease } from "./mux.js";
import { ClientGoneError } from "./read-body.js";
import { endSseWithError } from "./sse.js";
import { MAX_ERROR_BODY, errorBodyOf } from "./upstream-error-body.js";
import { classifyUpstreamError } from "./upstream-errors.js";

type Settle = { resolve: () => void; reject: (error: unknown) => void };

/**
 * Send one request to the lease's engine and relay the answer to the client
 * as undici hands it over: each chunk goes from the parser straight to the
 * client's socket, with the upstream read paused while the client's buffer is
 * full. No body stream, async iterator or abort signal between the two
 * sockets (they cost more CPU per request than the rest of llmux's work).
 * Resolves when the answer has been relayed; rejects with the error the
 * client should get. A kept-alive connection that vLLM closed as the request
 * went out (before any response byte) is retried once on a fresh one.
 */
export function relayUpstream(exchange: Exchange, dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, lease: ProxyLease): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    dispatcher.dispatch(options, new RelayHandler(exchange, dispatcher, options, lease, { resolve, reject }, true));
  });
}

class RelayHandler implements Dispatcher.DispatchHandler {
  readonly #exchange: Exchange;
  readonly #dispatcher: Dispatcher;
  readonly #options: Dispatcher.DispatchOptions;
  readonly #lease: ProxyLease;
  readonly #settle: Settle;
  readonly #mayRetry: boolean;
  #controller: Dispatcher.DispatchController | undefined;
  #started = false;
  #settled = false;
  /** The client already has a 200 event-stream head and the model answered an error: its body, to send as an error event. */
  #errorChunks: Buffer[] | undefined;
  #errorSize = 0;
  #status = 0;
  /** Counts what a successful answer produced, for the lease's release. */
  #tokens: CompletionTokenCounter | undefined;

  constructor(exchange: Exchange, dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, lease: ProxyLease, settle: Settle, mayRetry: boolean) {
    this.#exchange = exchange;
    this.#dispatcher = dispatcher;
    this.#options = options;
    this.#lease = lease;
    this.#settle = settle;
    this.#mayRetry = mayRetry;
  }

  readonly #abortUpstream = (reason: Error): void => {
    this.#controller?.abort(reason);
  };

  readonly #resumeUpstream = (): void => {
    this.#controller?.resume();
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.#exchange.cancel.onAbort(this.#abortUpstream);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (this.#settled || statusCode < 200) return;
    this.#started = true;
    this.#status = statusCode;
    const { res, record } = this.#exchange;
    const contentType = headers["content-type"];
    this.#exchange.streaming = mediaType(Array.isArray(contentType) ? contentType[0] : contentType) === "text/event-stream";
    record.status = statusCode;
    if (this.#exchange.sseCommitted) {
      // The client already has a 200 head: the model's error becomes an error event, as vLLM sends one mid-stream.
      if (statusCode >= 400) this.#errorChunks = [];
      else this.#exchange.streaming = true;
    } else res.writeHead(statusCode, clientResponseHeaders(headers));
    if (statusCode < 300) this.#tokens = new CompletionTokenCounter(this.#exchange.streaming, this.#exchange.boundary);
    if (this.#exchange.sseCommitted) return;
    // Streams must reach the client event by event, not when a buffer fills.
    if (this.#exchange.streaming) res.flushHeaders();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (this.#errorChunks !== undefined) {
      const room = MAX_ERROR_BODY - this.#errorSize;
      this.#errorChunks.push(room < chunk.length ? chunk.subarray(0, room) : chunk);
      this.#errorSize += Math.min(room, chunk.length);
      if (this.#errorSize >= MAX_ERROR_BODY) {
        this.#endWithErrorEvent();
        controller.abort(new ClientGoneError());
      }
      return;
    }
    const { res, record, boundary } = this.#exchange;
    if (record.timeToFirstByteMs === undefined) record.timeToFirstByteMs = this.#exchange.deps.now() - this.#exchange.startedAt;
    boundary.push(chunk);
    this.#tokens?.push(chunk);
    record.bytesOut += chunk.length;
    if (!res.write(chunk)) {
      controller.pause();
      res.once("drain", this.#resumeUpstream);
    }
    if (res.destroyed) this.#exchange.cancel.abort(new ClientGoneError());
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    if (this.#errorChunks !== undefined) {
      this.#endWithErrorEvent();
      return;
    }
    if (this.#exchange.cancel.reason instanceof ClientGoneError) return this.#fail(new ClientGoneError());
    this.#exchange.completionTokens = this.#tokens?.total();
    this.#exchange.res.end();
    this.#done();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settled) return;
    const lease = this.#lease;
    if (!this.#started && this.#mayRetry && !this.#exchange.cancel.aborted && !lease.signal.aborted && isStaleConnectionError(error)) {
      // vLLM never took it: once more on a fresh connection rather than failing the client with a 502.
      this.#settled = true;
      this.#exchange.cancel.onAbort(undefined);
      this.#dispatcher.dispatch(this.#options, new RelayHandler(this.#exchange, this.#dispatcher, this.#options, lease, this.#settle, false));
      return;
    }
    this.#fail(classifyUpstreamError(error, lease.model, lease.signal));
  }

  #endWithErrorEvent(): void {
    const errorBody = errorBodyOf(Buffer.concat(this.#errorChunks ?? []).toString("utf8"), this.#status);
    this.#errorChunks = undefined;
    endSseWithError(this.#exchange.res, errorBody, this.#exchange.boundary.midEvent);
    this.#exchange.record.errorCode = String(errorBody.error.code ?? this.#status);
    this.#done();
  }

  #done(): void {
    this.#settled = true;
    this.#exchange.cancel.onAbort(undefined);
    this.#settle.resolve();
  }

  #fail(error: unknown): void {
    this.#settled = true;
    this.#exchange.cancel.onAbort(undefined);
    this.#settle.reject(error);
  }
}
