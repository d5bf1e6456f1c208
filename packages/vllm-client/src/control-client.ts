import { setTimeout as delay } from "node:timers/promises";
import { Pool } from "undici";
import { AbortedError, ControlHttpError, ControlResponseError, ControlTimeoutError, ControlUnreachableError } from "./errors.js";
import { isStaleConnectionError } from "./stale-connection.js";
import { VERSION } from "./version.js";

export interface ControlClientOptions {
  /** Default timeout of each call. Default 10 000 ms. */
  timeoutMs?: number;
  /** Retries of idempotent calls after a connection error or a 5xx. Default 2. */
  retries?: number;
  /** First backoff delay; doubles each retry. Default 100 ms. */
  retryBaseMs?: number;
  /** Keep-alive connections to the engine. Default 4. */
  connections?: number;
  /** How long an idle connection is kept for reuse. Default 4 000 ms, under uvicorn's 5 s. */
  keepAliveMs?: number;
  /** Connect to this Unix socket instead of the URL's host and port (the URL then only names the `Host`). */
  socketPath?: string | undefined;
}

export interface ControlCallOptions {
  /** This call's timeout; overrides the client's default. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Retries for this call (idempotent calls only; ignored otherwise). */
  retries?: number;
}

export interface ControlResponse {
  status: number;
  body: string;
}

interface RequestSpec {
  method: "GET" | "POST";
  path: string;
  json?: unknown;
  /**
   * Safe to retry: the GETs only. A POST that answered 5xx may have done part
   * of its work (a half-done wake), and a retry would hide a failure the
   * caller must see; the caller escalates instead.
   */
  idempotent: boolean;
  /** Statuses that are not an error (default: 200 only). */
  accept?: (status: number) => boolean;
}

const USER_AGENT = `llmux-vllm-client/${VERSION}`;

/**
 * The HTTP control routes of one vLLM server (`docs/vllm-api.md`): health,
 * version, sleep, wake_up, collective_rpc, reset_prefix_cache, pause/resume.
 * One keep-alive `Pool` per server; each call has its own timeout; idempotent
 * calls are retried with exponential backoff; every failure is a coded error.
 */
export class VllmControlClient {
  readonly url: string;
  readonly #pool: Pool;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryBaseMs: number;
  #closed: Promise<void> | undefined;

  constructor(url: string, options: ControlClientOptions = {}) {
    this.url = url.replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retries = options.retries ?? 2;
    this.#retryBaseMs = options.retryBaseMs ?? 100;
    this.#pool = new Pool(this.url, {
      connections: options.connections ?? 4,
      // uvicorn closes idle connections after 5 s: reuse only younger ones, so a call rarely meets a closing socket.
      keepAliveTimeout: options.keepAliveMs ?? 4_000,
      keepAliveMaxTimeout: options.keepAliveMs ?? 4_000,
      // Our own per-call timer governs; undici's defaults (300 s) would cut a long wake.
      headersTimeout: 0,
      bodyTimeout: 0,
      ...(options.socketPath === undefined ? {} : { connect: { socketPath: options.socketPath } }),
    });
  }

  /** True when `GET /health` answers 200; false for any other status or no answer. Never retried. */
  async health(options: ControlCallOptions = {}): Promise<boolean> {
    try {
      const response = await this.#call({ method: "GET", path: "/health", idempotent: true, accept: () => true }, { ...options, retries: 0 });
      return response.status === 200;
    } catch (error) {
      if (error instanceof ControlUnreachableError || error instanceof ControlTimeoutError) return false;
      throw error;
    }
  }

  /** `GET /version` → the version string. */
  async version(options: ControlCallOptions = {}): Promise<string> {
    const body = await this.#json({ method: "GET", path: "/version", idempotent: true }, options);
    const version = (body as { version?: unknown } | null)?.version;
    if (typeof version !== "string") throw new ControlResponseError("GET", "/version", "no string `version` in the answer");
    return version;
  }

  /** `GET /is_sleeping` → true until every tag is awake. */
  async isSleeping(options: ControlCallOptions = {}): Promise<boolean> {
    const body = await this.#json({ method: "GET", path: "/is_sleeping", idempotent: true }, options);
    const sleeping = (body as { is_sleeping?: unknown } | null)?.is_sleeping;
    if (typeof sleeping !== "boolean") throw new ControlResponseError("GET", "/is_sleeping", "no boolean `is_sleeping` in the answer");
    return sleeping;
  }

  /** `POST /sleep?level=N`; resolves once asleep. Not retried: a repeated sleep may land on a different state. */
  async sleep(level: number, options: ControlCallOptions = {}): Promise<void> {
    await this.#call({ method: "POST", path: `/sleep?level=${level}`, idempotent: false }, options);
  }

  /** `POST /wake_up` (all tags) or `POST /wake_up?tags=a&tags=b`. */
  async wakeUp(tags: readonly string[] = [], options: ControlCallOptions = {}): Promise<void> {
    const query = tags.map((tag) => `tags=${encodeURIComponent(tag)}`).join("&");
    await this.#call({ method: "POST", path: query === "" ? "/wake_up" : `/wake_up?${query}`, idempotent: false }, options);
  }

  /** `POST /collective_rpc {"method": method}` → the per-worker `results`. */
  async collectiveRpc(method: string, options: ControlCallOptions = {}): Promise<unknown[]> {
    const body = await this.#json({ method: "POST", path: "/collective_rpc", json: { method }, idempotent: false }, options);
    const results = (body as { results?: unknown } | null)?.results;
    if (!Array.isArray(results)) throw new ControlResponseError("POST", "/collective_rpc", "no `results` array in the answer");
    return results;
  }

  /** Re-read the weights from disk (step 2 of a level-2 wake; vLLM #29341). */
  async reloadWeights(options: ControlCallOptions = {}): Promise<void> {
    await this.collectiveRpc("reload_weights", options);
  }

  /** `POST /reset_prefix_cache`. */
  async resetPrefixCache(options: ControlCallOptions = {}): Promise<void> {
    await this.#call({ method: "POST", path: "/reset_prefix_cache", idempotent: false }, options);
  }

  /**
   * `POST /v1/completions` for one token of `model`: the first request after a
   * start or wake pays for lazy initialisation (CUDA graphs, caches), so a
   * caller sends this one before admitting clients.
   */
  async warmUp(model: string, options: ControlCallOptions = {}): Promise<void> {
    await this.#call({ method: "POST", path: "/v1/completions", json: { model, prompt: "Hi", max_tokens: 1 }, idempotent: true }, options);
  }

  /** `POST /pause?wait_for_inflight_requests=true`: resolves once running requests finished; new ones hang until `resume()`. */
  async pause(options: ControlCallOptions = {}): Promise<void> {
    await this.#call({ method: "POST", path: "/pause?wait_for_inflight_requests=true", idempotent: false }, options);
  }

  /** `POST /resume`. */
  async resume(options: ControlCallOptions = {}): Promise<void> {
    await this.#call({ method: "POST", path: "/resume", idempotent: false }, options);
  }

  /** `GET /is_paused`. */
  async isPaused(options: ControlCallOptions = {}): Promise<boolean> {
    const body = await this.#json({ method: "GET", path: "/is_paused", idempotent: true }, options);
    const paused = (body as { is_paused?: unknown } | null)?.is_paused;
    if (typeof paused !== "boolean") throw new ControlResponseError("GET", "/is_paused", "no boolean `is_paused` in the answer");
    return paused;
  }

  /** Any call, for routes this client does not wrap. Rejects on a non-2xx status. */
  async request(method: "GET" | "POST", path: string, options: ControlCallOptions & { json?: unknown } = {}): Promise<ControlResponse> {
    return this.#call({ method, path, json: options.json, idempotent: method === "GET", accept: (status) => status >= 200 && status < 300 }, options);
  }

  /** Let calls in flight finish, then close the connections. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#pool.close().catch(() => undefined);
    return this.#closed;
  }

  /** Abort calls in flight and close the connections. Idempotent. */
  destroy(error?: Error): Promise<void> {
    if (this.#pool.destroyed) return this.#closed ?? Promise.resolve();
    this.#closed = this.#pool.destroy(error ?? null).catch(() => undefined);
    return this.#closed;
  }

  async #json(spec: RequestSpec, options: ControlCallOptions): Promise<unknown> {
    const response = await this.#call(spec, options);
    try {
      return JSON.parse(response.body) as unknown;
    } catch (error) {
      throw new ControlResponseError(spec.method, spec.path, "the answer is not JSON", { cause: error });
    }
  }

  async #call(spec: RequestSpec, options: ControlCallOptions): Promise<ControlResponse> {
    const retries = spec.idempotent ? (options.retries ?? this.#retries) : 0;
    let resent = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once(spec, options);
      } catch (error) {
        if (!resent && error instanceof ControlUnreachableError && error.beforeResponse && isStaleConnectionError(error)) {
          // The engine closed a kept-alive connection as the call went out: it never saw the call, whatever the method.
          resent = true;
          attempt--;
          continue;
        }
        const retriable = error instanceof ControlUnreachableError || (error instanceof ControlHttpError && error.responseStatus >= 500);
        if (!retriable || attempt >= retries) throw error;
        try {
          await delay(this.#retryBaseMs * 2 ** attempt, undefined, options.signal ? { signal: options.signal } : {});
        } catch (abortError) {
          throw new AbortedError(`${spec.method} ${spec.path} was aborted`, { cause: options.signal?.reason ?? abortError });
        }
      }
    }
  }

  async #once(spec: RequestSpec, options: ControlCallOptions): Promise<ControlResponse> {
    const route = spec.path;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const signal = options.signal;
    if (signal?.aborted) throw new AbortedError(`${spec.method} ${route} was aborted`, { cause: signal.reason });
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    let responded = false;
    try {
      const response = await this.#pool.request({
        method: spec.method,
        path: spec.path,
        headers: {
          "user-agent": USER_AGENT,
          ...(spec.json === undefined ? {} : { "content-type": "application/json" }),
        },
        body: spec.json === undefined ? null : JSON.stringify(spec.json),
        signal: controller.signal,
      });
      responded = true;
      const body = await response.body.text();
      const accept = spec.accept ?? ((status: number) => status === 200);
      if (!accept(response.statusCode)) {
        throw new ControlHttpError(spec.method, route, response.statusCode, body);
      }
      return { status: response.statusCode, body };
    } catch (error) {
      if (error instanceof ControlHttpError) throw error;
      if (timedOut) throw new ControlTimeoutError(spec.method, route, timeoutMs, { cause: error });
      if (signal?.aborted) throw new AbortedError(`${spec.method} ${route} was aborted`, { cause: signal.reason });
      throw new ControlUnreachableError(spec.method, route, { cause: error, beforeResponse: !responded });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
