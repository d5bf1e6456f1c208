import type { MuxSnapshot } from "@llmux/core";
import { EventEmitter } from "node:events";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Registry } from "prom-client";
import { runAdminAction } from "./admin-routes.js";
import { KeySet, checkAccess, clientKey } from "./auth.js";
import { BodyBudget } from "./body-budget.js";
import { capConnections } from "./connection-cap.js";
import { defaultMaxConnections } from "./fd-limit.js";
import { CapacityError, ProxyStateError, RouteNotFoundError, ShuttingDownError } from "./errors.js";
import type { Cancellation } from "./cancellation.js";
import { type ForwardDeps, forwardRequest } from "./forward.js";
import { UpstreamAgents } from "./upstream-agents.js";
import { LiveStatus } from "./live-status.js";
import { type LocalServices, serveLocal } from "./local-dispatch.js";
import { type LogBook, createLogBook } from "./log-book.js";
import { ProxyMetrics } from "./metrics.js";
import { answerMetrics, isMetricsScrape, serveMetrics } from "./metrics-server.js";
import { engineLoadReader, tcpEngineTarget } from "./engine-load.js";
import { gatewayViews, registerGatewayMetrics } from "./gateway-metrics.js";
import { ModelNames } from "./model-names.js";
import { MODEL_STATES } from "./model-states.js";
import { recordMuxEvent } from "./mux-metrics.js";
import { PausedRequests } from "./resume/paused-requests.js";
import { EMPTY_SNAPSHOT, type ProxyConfigView, type ProxyMux, modelViews } from "./mux.js";
import { sendError, sendJson } from "./openai-error.js";
import { type RequestRecord, newRecord } from "./request-record.js";
import { requestIdOf } from "./request-id.js";
import { matchRoute } from "./routes.js";
import { type StatusView, statusView } from "./status-view.js";
import { VERSION } from "./version.js";

/** The subset of a pino logger the proxy uses. */
export interface ProxyLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface CreateProxyOptions {
  mux: ProxyMux;
  config: ProxyConfigView;
  logger?: ProxyLogger;
  /**
   * Longest wait for a model's response headers and between two chunks of its
   * body (ms; 0 disables). Generation can be slow, so the default is generous:
   * 10 minutes. A model that dies is noticed through its lease, not this.
   */
  upstreamTimeoutMs?: number;
  /** The `deadline` passed to `mux.acquire` for a wait of `timeoutMs` (default: `mux.clock.now() + timeoutMs`). */
  deadline?: (timeoutMs: number) => number;
  /**
   * The lines `GET /llmux/logs` serves; the binary feeds it from its logger and
   * each engine's output. Default: an empty one sized by `proxy.log_lines`.
   */
  logs?: LogBook;
  /**
   * `POST /llmux/reload`: read the config again and apply it; resolves with
   * what to answer (the binary's reload report), or throws a coded error
   * (`ConfigReloadError` for an invalid file). Without it the route answers 404.
   */
  reload?: () => Promise<unknown>;
}

export interface ListenResult {
  url: string;
  /** Absent when `metrics_port` is 0. */
  metricsUrl?: string;
}

/** Defaults of the config fields, for configs built without core's schema (tests, embedders). */
const DEFAULT_MAX_BUFFERED_BYTES = 512 * 1024 * 1024;

type ProxyEvents = { request: [record: RequestRecord] };

/**
 * The llmux HTTP server: OpenAI-compatible routing by `model` to leases from
 * the multiplexer, local status routes, and the Prometheus endpoint on its own
 * port. `close()` is graceful, `destroy()` forced; both idempotent.
 */
export class LlmuxProxy extends EventEmitter<ProxyEvents> {
  readonly metrics: ProxyMetrics;
  readonly registry: Registry;
  readonly logs: LogBook;
  private readonly mux: ProxyMux;
  private config: ProxyConfigView;
  private readonly logger: ProxyLogger | undefined;
  private readonly server: Server;
  private metricsServer: Server | undefined;
  private readonly upstreams: UpstreamAgents;
  private readonly bodies: BodyBudget;
  private readonly maxConnections: number;
  /** True for a connection accepted past `max_connections`: served only for the local and admin routes. */
  private readonly overCap: (socket: Socket) => boolean;
  private apiKeys: KeySet;
  private adminKeys: KeySet;
  private readonly shutdown = new AbortController();
  /** Aborted when closing starts: endless streams (logs, live status) end so they do not hold the shutdown. */
  private readonly closing = new AbortController();
  private names: ModelNames;
  private readonly live: LiveStatus;
  private readonly paused: PausedRequests;
  private readonly active = new Set<ServerResponse>();
  private readonly localDeps: LocalServices;
  private readonly unsubscribe: () => void;
  /** What forwarding needs, built once (not per request); `reconfigure` swaps config and names in it. */
  private readonly forwardDeps: ForwardDeps;
  private readonly reload: (() => Promise<unknown>) | undefined;
  private readonly deadline: (timeoutMs: number) => number;
  private state: "new" | "listening" | "closing" | "closed" = "new";
  private closePromise: Promise<void> | undefined;

  constructor(options: CreateProxyOptions) {
    super();
    this.mux = options.mux;
    this.config = options.config;
    this.logger = options.logger;
    this.reload = options.reload;
    const clock = this.mux.clock ?? { now: () => performance.now() };
    this.deadline = options.deadline ?? ((timeoutMs) => clock.now() + timeoutMs);
    this.apiKeys = new KeySet(this.config.proxy.api_keys);
    this.adminKeys = new KeySet(this.config.proxy.admin_keys);
    this.names = new ModelNames(this.config.models);
    this.logs = options.logs ?? createLogBook(this.config);
    const view = (): StatusView =>
      statusView({
        snapshot: this.safeSnapshot(),
        names: this.names,
        clockNow: clock.now(),
        wallNow: Date.now(),
        adminControls: !this.adminKeys.empty,
        paused: (model) => this.paused.of(model),
      });
    this.live = new LiveStatus({
      view,
      closing: this.closing.signal,
      keepaliveMs: this.config.proxy.keepalive_interval_secs * 1000,
    });
    this.paused = new PausedRequests((model) => {
      this.metrics.preemption.pausedNow(model, this.paused.of(model).length);
      this.live.changed();
    });
    const models = Object.keys(this.config.models);
    this.metrics = new ProxyMetrics({
      models,
      states: MODEL_STATES,
      version: VERSION,
      view: (model) => modelViews(this.safeSnapshot()).get(model),
    });
    this.metrics.primeModels();
    registerGatewayMetrics(this.metrics.registry, {
      models: () => gatewayViews(modelViews(this.safeSnapshot())),
      engineLoad: engineLoadReader({ engine: (model) => tcpEngineTarget(this.config, model) ?? this.upstreams.socketEndpoint(model) }),
    });
    this.registry = this.metrics.registry;
    // One subscription feeds the metrics and every live status page.
    this.unsubscribe = this.mux.on((event) => {
      if (event.type === "engine-exit") this.upstreams.engineGone(event.model);
      recordMuxEvent(this.metrics, event);
      this.live.changed(event.type === "state");
    });
    const keepAliveMs = (this.config.proxy.upstream_keepalive_secs ?? 4) * 1000;
    this.upstreams = new UpstreamAgents(keepAliveMs);
    this.localDeps = {
      mux: this.mux,
      config: this.config,
      names: this.names,
      version: VERSION,
      createdAt: Math.floor(Date.now() / 1000),
      inFlight: () => this.active.size,
      closing: () => this.state !== "listening",
      statusView: view,
      live: this.live,
      logs: this.logs,
      closingSignal: this.closing.signal,
    };
    this.server = createServer(
      {
        headersTimeout: this.config.proxy.headers_timeout_secs * 1000,
        // Node checks the headers timeout only this often (default 30 s); check often enough to honour short limits.
        connectionsCheckingInterval: Math.min(30_000, Math.max(50, (this.config.proxy.headers_timeout_secs * 1000) / 4)),
        // Body reads have their own idle timeout; a whole-request deadline would cut large uploads on slow links.
        requestTimeout: 0,
      },
      (req, res) => this.handle(req, res),
    );
    this.server.keepAliveTimeout = this.config.proxy.idle_timeout_secs * 1000;
    this.bodies = new BodyBudget(this.config.proxy.max_buffered_bytes ?? DEFAULT_MAX_BUFFERED_BYTES);
    this.maxConnections = this.config.proxy.max_connections ?? defaultMaxConnections();
    const live = new Set<Cancellation>();
    this.forwardDeps = {
      mux: this.mux,
      config: this.config,
      names: this.names,
      upstreams: this.upstreams,
      bodies: this.bodies,
      metrics: this.metrics,
      paused: this.paused,
      shutdown: this.shutdown.signal,
      live,
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? 600_000,
      deadline: this.deadline,
      now: () => performance.now(),
      onInternalError: (error, record) => this.internalError(error, record),
    };
    // One listener for every request in flight, not one each on this long-lived signal.
    this.shutdown.signal.addEventListener("abort", () => {
      for (const cancellation of live) cancellation.abort(this.shutdown.signal.reason as Error);
    });
    this.overCap = capConnections(this.server, this.maxConnections);
    // Without this listener Node answers `Expect: 100-continue` at once, inviting bodies we may refuse (413).
    this.server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
  }

  /**
   * Take a reloaded config: keys, limits and model names apply to requests
   * that arrive from now on (requests in progress keep what they started
   * with). Listeners and buffers sized at start-up keep theirs.
   */
  reconfigure(config: ProxyConfigView): void {
    this.config = config;
    this.apiKeys = new KeySet(config.proxy.api_keys);
    this.adminKeys = new KeySet(config.proxy.admin_keys);
    this.names = new ModelNames(config.models);
    this.localDeps.config = config;
    this.localDeps.names = this.names;
    this.forwardDeps.config = config;
    this.forwardDeps.names = this.names;
    this.metrics.setModels(Object.keys(config.models));
  }

  /** Bind `host:port` (and `metrics_host:metrics_port` unless 0). Port 0 picks a free port. */
  async listen(): Promise<ListenResult> {
    if (this.state !== "new") throw new ProxyStateError(`listen() called on a proxy that is ${this.state}`);
    this.state = "listening";
    const url = urlOf(await bind(this.server, this.config.port, this.config.host));
    if (this.config.metrics_port === 0) return { url };
    this.metricsServer = serveMetrics(this.metrics, this.config.metrics_path);
    try {
      const metricsUrl = urlOf(await bind(this.metricsServer, this.config.metrics_port, this.config.metrics_host));
      return { url, metricsUrl };
    } catch (error) {
      await this.destroy();
      throw error;
    }
  }

  /** Stop accepting; let in-flight requests finish within `proxy.shutdown_grace_secs`, then abort them. */
  close(): Promise<void> {
    this.closePromise ??= this.shutDown(this.config.proxy.shutdown_grace_secs * 1000);
    return this.closePromise;
  }

  /** Abort every in-flight request and close every connection now. */
  destroy(): Promise<void> {
    this.shutdown.abort(new ShuttingDownError());
    this.closePromise ??= this.shutDown(0);
    return this.closePromise;
  }

  private async shutDown(graceMs: number): Promise<void> {
    this.state = "closing";
    this.unsubscribe();
    this.closing.abort();
    // The listener stays open while requests finish, so a load balancer's /health probe reads 503 "closing"
    // instead of a refused connection; every other new request gets 503 and `connection: close`.
    this.server.closeIdleConnections();
    if (this.active.size > 0 && graceMs > 0) await this.idle(graceMs);
    if (this.active.size > 0) {
      this.shutdown.abort(new ShuttingDownError());
      // Aborted requests answer at once (an error or an SSE error event); give them a moment to flush.
      await this.idle(2_000);
    }
    const closed = Promise.all([closeServer(this.server), closeServer(this.metricsServer)]);
    this.server.closeAllConnections();
    this.metricsServer?.closeAllConnections();
    await closed;
    await this.upstreams.destroy();
    this.state = "closed";
  }

  /** Resolve when no request is in flight, or after `ms`. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const check = setInterval(() => {
        if (this.active.size === 0) done();
      }, 25);
      function done(): void {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (isMetricsScrape(this.config, req)) {
      // Open like /health (the picker's scraper sends no credentials; the metrics carry no content or keys),
      // and not a request of its own: a picker scraping every 50 ms would swamp llmux_requests_total.
      req.resume();
      void answerMetrics(this.metrics, req, res);
      return;
    }
    const startedAt = performance.now();
    const record = newRecord(requestIdOf(req.headers), req.method ?? "GET", pathOf(req.url ?? "/"));
    // Every answer carries it, the forwarded ones too (vLLM gets the same id and may echo it).
    res.setHeader("x-request-id", record.requestId);
    this.active.add(res);
    void this.serve(req, res, record, startedAt);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, record: RequestRecord, startedAt: number): Promise<void> {
    try {
      await this.dispatch(req, res, record, startedAt);
    } catch (error) {
      const response = sendError(res, error);
      record.status = response.status;
      record.errorCode = String(response.body.error.code);
      if (response.body.error.code === "LLMUX_ERR_PROXY_INTERNAL") this.internalError(error, record);
    }
    // One "close" listener rather than `finished()` (six): a ServerResponse emits it last, whether it ended or was cut.
    if (res.closed) this.ended(res, record, startedAt);
    else res.once("close", () => this.ended(res, record, startedAt));
  }

  /** A failure that is llmux's own bug (a 500), logged with the request it happened to. */
  private internalError(error: unknown, record: RequestRecord): void {
    this.logger?.error({ err: error, request_id: record.requestId, path: record.path }, "request failed");
  }

  private ended(res: ServerResponse, record: RequestRecord, startedAt: number): void {
    this.active.delete(res);
    if (this.state === "closing") this.server.closeIdleConnections();
    if (record.status === 0) record.status = res.statusCode;
    record.durationMs = performance.now() - startedAt;
    this.metrics.observeRequest(record);
    this.emit("request", record);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, record: RequestRecord, startedAt: number): Promise<void> {
    const route = matchRoute(req.method ?? "GET", req.url ?? "/");
    if (this.overCap(req.socket) && route.kind !== "local" && route.kind !== "admin") {
      res.setHeader("connection", "close");
      req.resume();
      throw new CapacityError("client connections", this.maxConnections);
    }
    if (this.state !== "listening") {
      res.setHeader("connection", "close");
      req.resume();
      if (route.kind === "local" && route.name === "health") return serveLocal(this.localDeps, req, res, route);
      throw new ShuttingDownError();
    }
    checkAccess(route, clientKey(req.headers), { apiKeys: this.apiKeys, adminKeys: this.adminKeys }, record.path);
    switch (route.kind) {
      case "forward":
        return forwardRequest(this.forwardDeps, req, res, route, record, startedAt);
      case "admin":
        req.resume();
        record.model = route.model;
        return runAdminAction(this.mux, this.config, res, route);
      case "local":
        req.resume();
        return serveLocal(this.localDeps, req, res, route);
      case "reload":
        req.resume();
        if (this.reload === undefined) throw new RouteNotFoundError(record.path);
        return sendJson(res, await this.reload());
    }
  }

  private safeSnapshot(): MuxSnapshot {
    try {
      return this.mux.snapshot();
    } catch {
      return EMPTY_SNAPSHOT;
    }
  }
}

/** Create the proxy (it does not listen until `listen()`). */
export function createProxy(options: CreateProxyOptions): LlmuxProxy {
  return new LlmuxProxy(options);
}

function pathOf(target: string): string {
  const queryAt = target.indexOf("?");
  return (queryAt === -1 ? target : target.slice(0, queryAt)).slice(0, 200);
}

function bind(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A URL clients can use: a wildcard bind address is reached through loopback. */
function urlOf(address: AddressInfo): string {
  let host = address.address;
  if (host === "0.0.0.0") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}
