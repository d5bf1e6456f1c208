import type { AcquireOptions, ModelSnapshot, MuxEvent, MuxSnapshot } from "@llmux/core";

/**
 * What the proxy uses of `@llmux/core`'s Multiplexer, written structurally so
 * the proxy's own tests can drive it with a small stand-in over real sockets
 * and a real Multiplexer fits it unchanged.
 */

/** Permission to send requests to one awake model, held until the response ends. */
export interface ProxyLease {
  readonly model: string;
  /** Base URL of the model's vLLM server, no trailing slash. */
  readonly url: string;
  /** The Unix socket to connect to when the engine serves on one (`url` then only names the `Host`). */
  readonly socketPath?: string | undefined;
  /** Aborts (reason: a coded error) when the model dies or the lease is preempted. */
  readonly signal: AbortSignal;
  /** Idempotent. `completionTokens`: what the answer produced, when known (llmux measures the decode rate and output lengths). */
  release(usage?: { completionTokens?: number }): void;
  /** Core's leases: call `listener` when revoked (the moment `signal` aborts), without a listener on the signal. */
  onRevoke?(listener: ((reason: Error) => void) | undefined): void;
}

/** One model of the multiplexer's snapshot, as the proxy reads it. */
export type ProxyModelView = ModelSnapshot;

export interface ProxyMux {
  /** The multiplexer's clock: `acquire`'s `deadline` is in its milliseconds. */
  readonly clock?: { now(): number };
  /** `options.requestId` is the request's `x-request-id`: the multiplexer puts it on its events about the request. */
  acquire(model: string, options: AcquireOptions): Promise<ProxyLease>;
  snapshot(): MuxSnapshot;
  on(listener: (event: MuxEvent) => void): () => void;
  sleepModel(name: string, level?: 1 | 2 | 3): Promise<unknown>;
  wakeModel(name: string): Promise<unknown>;
  stopModel(name: string): Promise<unknown>;
}

/** The fields of the llmux config the proxy reads (core owns the schema; these names are fixed). */
export interface ProxyConfigView {
  port: number;
  host: string;
  metrics_port: number;
  metrics_host: string;
  /** Path of the Prometheus endpoint (default `/metrics`). */
  metrics_path?: string;
  /** Also serve `metrics_path` on `port` (the Gateway API Inference Extension's picker scrapes the inference port). */
  metrics_on_proxy_port?: boolean;
  models: Record<string, unknown>;
  proxy: {
    max_body_bytes: number;
    keepalive_interval_secs: number;
    headers_timeout_secs: number;
    idle_timeout_secs: number;
    api_keys: string[];
    admin_keys: string[];
    shutdown_grace_secs: number;
    /** Honour a `model-override` header (default true). */
    model_override_header?: boolean;
    /** Lines kept per log for `GET /llmux/logs` (default 1000). */
    log_lines?: number;
    /** Default 4. */
    upstream_keepalive_secs?: number;
    /** Default 512 MiB. */
    max_buffered_bytes?: number;
    /** Default 512. */
    max_connections?: number;
  };
  /** `drain_before_switch` false: switches pause resumable requests at once (default true). */
  policy: { request_timeout_secs: number; drain_before_switch?: boolean };
}

/** The snapshot shown when taking one failed (a status route must never take the server down). */
export const EMPTY_SNAPSHOT: MuxSnapshot = {
  at: 0,
  policy: "unknown",
  closed: false,
  models: [],
  gpus: [],
  switches: [],
  preload: { state: "idle", total: 0, done: 0, models: [] },
};

/** A snapshot's models by name. */
export function modelViews(snapshot: MuxSnapshot): Map<string, ProxyModelView> {
  return new Map(snapshot.models.map((model) => [model.name, model]));
}
