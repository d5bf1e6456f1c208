import type { IncomingMessage, ServerResponse } from "node:http";
import { isStaleConnectionError } from "@llmux/vllm-client";
import type { Dispatcher } from "undici";
import { type BodyBudget, withinBudget } from "./body-budget.js";
import { BodyTimeoutError, BodyTooLargeError, CapacityError, ModelNotFoundError, ShuttingDownError } from "./errors.js";
import { extractModel, withModel } from "./extract-model.js";
import { Cancellation } from "./cancellation.js";
import { upstreamRequestHeaders } from "./headers.js";
import type { ProxyMetrics } from "./metrics.js";
import type { ModelNames } from "./model-names.js";
import type { ProxyConfigView, ProxyLease, ProxyMux } from "./mux.js";
import { sendError, toErrorResponse } from "./openai-error.js";
import { ClientGoneError, discardRestOfBody, expectsContinue, readBody } from "./read-body.js";
import { CLIENT_GONE, type RequestRecord } from "./request-record.js";
import type { Route } from "./routes.js";
import { SseBoundaryTracker, commitSse, endSseWithError, writeSseComment } from "./sse.js";
import type { UpstreamAgents } from "./upstream-agents.js";
import { relayUpstream } from "./upstream-relay.js";
import { preemptionOn, relayResumableRequest } from "./resume/forward-resumable.js";
import { resumablePlan } from "./resume/resumable.js";
import type { PausedRequests } from "./resume/paused-requests.js";

export interface ForwardDeps {
  mux: ProxyMux;
  config: ProxyConfigView;
  /** Names and aliases clients may use. */
  names: ModelNames;
  upstreams: UpstreamAgents;
  /** Shared by every request: the bytes of bodies held in memory. */
  bodies: BodyBudget;
  metrics: ProxyMetrics;
  /** The requests paused by switches, for the status view. */
  paused: PausedRequests;
  /** Aborted when the proxy is shut down (forcefully); it then aborts every request in `live`. */
  shutdown: AbortSignal;
  /** The requests being forwarded: a forced shutdown cancels each. */
  live: Set<Cancellation>;
  /** Longest wait for vLLM's response headers, and between two body chunks. 0 disables. */
  upstreamTimeoutMs: number;
  /** The `deadline` passed to `acquire` for a request that may wait `timeoutMs`. */
  deadline: (timeoutMs: number) => number;
  /** Milliseconds, for durations only. */
  now: () => number;
  /** Told about failures that are llmux's own bugs (500s). */
  onInternalError?: (error: unknown, record: RequestRecord) => void;
}

/** Per-request state shared by the steps of one forwarded request. */
export interface Exchange {
  readonly deps: ForwardDeps;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: RequestRecord;
  readonly startedAt: number;
  /**
   * Aborted when the client goes away (reason: ClientGoneError), the proxy
   * shuts down, or the lease is revoked. Not `AbortSignal.any` with the
   * proxy's long-lived shutdown signal: on Node 20 that leaks an entry per call
   * (nodejs/node#55351) and costs CPU on every request.
   */
  readonly cancel: Cancellation;
  /** We sent a 200 event-stream head ourselves (keep-alives while queued). */
  sseCommitted: boolean;
  /** The response being forwarded is an event stream. */
  streaming: boolean;
  /** We told a client that sent `Expect: 100-continue` to send its body. */
  continueSent: boolean;
  readonly boundary: SseBoundaryTracker;
  /** The answer's completion tokens, once it was relayed in full (see CompletionTokenCounter). */
  completionTokens?: number | undefined;
}

type ForwardRoute = Extract<Route, { kind: "forward" }>;

/**
 * Forward one inference request: read and check the body, wait for a lease
 * (with SSE keep-alives for streams), send the original bytes to the model and
 * stream the answer back with backpressure. Never throws: every failure ends
 * as an OpenAI-shaped error (or an SSE error event once a stream has begun).
 */
export async function forwardRequest(
  deps: ForwardDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: ForwardRoute,
  record: RequestRecord,
  startedAt: number,
): Promise<void> {
  const exchange: Exchange = {
    deps,
    req,
    res,
    record,
    startedAt,
    cancel: new Cancellation(),
    sseCommitted: false,
    continueSent: false,
    streaming: false,
    boundary: new SseBoundaryTracker(),
  };
  const onClose = (): void => {
    if (!res.writableFinished) exchange.cancel.abort(new ClientGoneError());
  };
  res.on("close", onClose);
  deps.live.add(exchange.cancel);
  if (deps.shutdown.aborted) exchange.cancel.abort(deps.shutdown.reason as Error);
  try {
    await run(exchange, route);
  } catch (error) {
    fail(exchange, error);
  } finally {
    res.off("close", onClose);
    deps.live.delete(exchange.cancel);
  }
}

async function run(exchange: Exchange, route: ForwardRoute): Promise<void> {
  const { deps, req } = exchange;
  const declared = Number(req.headers["content-length"]);
  // A declared body is reserved before a byte of it is read; a refused one is never read into memory.
  const reservable = Number.isFinite(declared) && declared <= deps.config.proxy.max_body_bytes ? declared : 0;
  const read = (): Promise<Buffer> => {
    if (expectsContinue(req) && !(declared > deps.config.proxy.max_body_bytes)) {
      // The server hands us `Expect: 100-continue` requests unanswered (checkContinue): invite the body only when it can be accepted.
      exchange.res.writeContinue();
      exchange.continueSent = true;
    }
    return readBody(req, { limit: deps.config.proxy.max_body_bytes, idleTimeoutMs: deps.config.proxy.idle_timeout_secs * 1000 });
  };
  await withinBudget(deps.bodies, reservable, read, (body) => forwardBody(exchange, route, body));
}

async function forwardBody(exchange: Exchange, route: ForwardRoute, body: Buffer): Promise<void> {
  const { deps, req, record } = exchange;
  record.bytesIn = body.length;
  const facts = extractModel(route.body, req.headers["content-type"], body);
  record.stream = facts.stream;
  const requested = modelOverride(req.headers, deps.config) ?? facts.model;
  const model = deps.names.resolve(requested);
  record.model = model ?? requested;
  if (model === undefined) throw new ModelNotFoundError(requested);
  const upstreamBody = model === facts.model ? body : withModel(route.body, req.headers["content-type"], body, model);

  const plan = preemptionOn(deps.config, model) ? resumablePlan(route.path, upstreamBody) : undefined;
  if (plan) {
    await relayResumableRequest(exchange, model, plan, {
      acquire: (options) => acquire(exchange, model, plan.stream, plan.maxTokens, options),
      send: (lease, bodyOfPart, signal) => sendUpstream(exchange, route, lease, bodyOfPart, signal),
    });
    return;
  }
  const lease = await acquire(exchange, model, facts.stream, facts.maxTokens);
  deps.metrics.inFlightStarted(lease.model);
  try {
    await relay(exchange, route, upstreamBody, lease);
  } finally {
    const completionTokens = exchange.completionTokens;
    lease.release(completionTokens === undefined ? undefined : { completionTokens });
    deps.metrics.inFlightEnded(lease.model);
  }
}

/** Wait for a lease; a stream that waits longer than one keep-alive interval gets its 200 head and `: waiting` comments. */
async function acquire(
  exchange: Exchange,
  model: string,
  stream: boolean,
  maxTokens: number | undefined,
  resumable: Pick<Parameters<ProxyMux["acquire"]>[1], "preemptible" | "requestId" | "resume"> = {},
): Promise<ProxyLease> {
  const { deps, res, record } = exchange;
  const queuedAt = deps.now();
  let keepalive: NodeJS.Timeout | undefined;
  if (stream) {
    keepalive = setInterval(() => {
      if (res.destroyed || res.writableEnded) return;
      if (!res.headersSent) {
        commitSse(res);
        exchange.sseCommitted = true;
      }
      writeSseComment(res, `waiting for model ${model}`);
    }, deps.config.proxy.keepalive_interval_secs * 1000);
  }
  try {
    return await deps.mux.acquire(model, {
      signal: exchange.cancel.signal,
      deadline: deps.deadline(deps.config.policy.request_timeout_secs * 1000),
      ...(maxTokens === undefined ? {} : { maxTokens }),
      requestId: exchange.record.requestId,
      ...resumable,
    });
  } finally {
    if (keepalive !== undefined) clearInterval(keepalive);
    record.queueWaitMs = deps.now() - queuedAt;
  }
}

async function relay(exchange: Exchange, route: ForwardRoute, body: Buffer, lease: ProxyLease): Promise<void> {
  const { deps } = exchange;
  const onRevoke = (reason: Error): void => exchange.cancel.abort(reason);
  const onLeaseAbort = (): void => onRevoke(lease.signal.reason as Error);
  // Core's leases tell us by `onRevoke`, without an AbortSignal; another ProxyMux (an embedder's, a test's) may
  // offer only the signal, since `onRevoke` is optional in the published interface.
  if (lease.onRevoke) lease.onRevoke(onRevoke);
  else {
    lease.signal.addEventListener("abort", onLeaseAbort);
    if (lease.signal.aborted) onLeaseAbort();
  }
  try {
    await relayUpstream(exchange, deps.upstreams.dispatcherFor(lease), upstreamRequest(exchange, route, lease, body), lease);
  } finally {
    if (lease.onRevoke) lease.onRevoke(undefined);
    else lease.signal.removeEventListener("abort", onLeaseAbort);
  }
}

/** The POST of `body` to the lease's model on the request's route. */
function upstreamRequest(exchange: Exchange, route: ForwardRoute, lease: ProxyLease, body: Buffer): Dispatcher.DispatchOptions & { method: "POST" } {
  const { deps, req } = exchange;
  const headers = upstreamRequestHeaders(req.headers, { stripAuthorization: !apiKeysOff(deps.config) });
  headers["x-request-id"] = exchange.record.requestId;
  return {
    origin: lease.url,
    path: route.path + route.query,
    method: "POST",
    headers,
    body,
    headersTimeout: deps.upstreamTimeoutMs,
    bodyTimeout: deps.upstreamTimeoutMs,
  };
}

/** POST `body` to the lease's model on the request's route (the resumable relay reads the answer as a stream). */
async function sendUpstream(exchange: Exchange, route: ForwardRoute, lease: ProxyLease, body: Buffer, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  const options = { ...upstreamRequest(exchange, route, lease, body), signal };
  const send = (): Promise<Dispatcher.ResponseData> => exchange.deps.upstreams.dispatcherFor(lease).request(options);
  try {
    return await send();
  } catch (error) {
    // A kept-alive connection closed by vLLM as the request went out, before any response byte: vLLM never
    // took it, so it goes once more on a fresh connection rather than failing the client with a 502.
    if (signal.aborted || lease.signal.aborted || !isStaleConnectionError(error)) throw error;
    return send();
  }
}

function clientGone(exchange: Exchange): boolean {
  return exchange.cancel.reason instanceof ClientGoneError;
}

function fail(exchange: Exchange, error: unknown): void {
  const { res, record, deps } = exchange;
  if (error instanceof ClientGoneError || clientGone(exchange)) {
    record.status = 499;
    record.errorCode = CLIENT_GONE;
    if (!res.destroyed) res.destroy();
    return;
  }
  const reported = deps.shutdown.aborted ? new ShuttingDownError() : error;
  const response = toErrorResponse(reported);
  if (response.body.error.code === "LLMUX_ERR_PROXY_INTERNAL") deps.onInternalError?.(reported, record);
  record.status = response.status;
  record.errorCode = String(response.body.error.code);
  if (res.headersSent) {
    if (exchange.boundary.done) {
      // The model already ended the stream (with its own error event if it failed): add nothing after [DONE].
      if (!res.writableEnded) res.end();
    } else if ((exchange.sseCommitted || exchange.streaming) && !res.writableEnded && !res.destroyed) {
      endSseWithError(res, response.body, exchange.boundary.midEvent);
    } else {
      // A plain body cannot carry an error after its head: cut the connection so the client sees a failure, not a short body.
      res.destroy();
    }
    return;
  }
  if (reported instanceof BodyTooLargeError && (exchange.continueSent || !expectsContinue(exchange.req))) {
    // Drain what the client is still uploading before answering, so closing does not reset the connection
    // under an answer it has not read (see discardRestOfBody).
    void discardRestOfBody(exchange.req, DISCARD_AFTER_413).then(() => sendError(res, reported, { connection: "close" }));
    return;
  }
  if (reported instanceof CapacityError && !exchange.req.complete) {
    // The body was never read: throw it away within bounds so closing does not reset the answer.
    void discardRestOfBody(exchange.req, DISCARD_AFTER_413).then(() => sendError(res, reported, { connection: "close" }));
    return;
  }
  // An oversized body never invited (Expect: 100-continue) or a stalled one will not come: close after answering.
  const close = reported instanceof BodyTooLargeError || reported instanceof BodyTimeoutError;
  sendError(res, reported, close ? { connection: "close" } : {});
}

/** How much of a refused upload is read and thrown away before the 413 goes out regardless. */
const DISCARD_AFTER_413 = { maxBytes: 64 * 1024 * 1024, maxMs: 5_000, idleMs: 250 };

/**
 * The `model-override` header (the onwards gateway sets it to route a request
 * whatever its body says), unless `proxy.model_override_header` is false.
 */
function modelOverride(headers: IncomingMessage["headers"], config: ProxyConfigView): string | undefined {
  if (config.proxy.model_override_header === false) return undefined;
  const value = headerString(headers["model-override"])?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function apiKeysOff(config: ProxyConfigView): boolean {
  return config.proxy.api_keys.length === 0 && config.proxy.admin_keys.length === 0;
}

export function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
