import { request, type Dispatcher } from "undici";
import type { EngineLoad } from "./gateway-metrics.js";
import type { ProxyConfigView } from "./mux.js";

/** Where llmux reaches a model's engine on TCP: 127.0.0.1 on the model's port; undefined for a model on a Unix socket. */
export function tcpEngineTarget(config: ProxyConfigView, model: string): { url: string } | undefined {
  const port = (config.models[model] as { port?: unknown } | undefined)?.port;
  return typeof port === "number" ? { url: `http://127.0.0.1:${port}` } : undefined;
}

/** How to read one engine: its base URL, and the dispatcher that reaches its Unix socket when it has one. */
export interface EngineTarget {
  url: string;
  dispatcher?: Dispatcher | undefined;
}

export interface EngineLoadReaderOptions {
  /** How to reach a model's engine, or undefined when unknown. */
  engine: (model: string) => EngineTarget | undefined;
  /** Figures younger than this are reused: the picker may scrape every 50 ms. */
  maxAgeMs?: number;
  /** Longest wait for one engine's `/metrics`; an engine that does not answer counts as 0. */
  timeoutMs?: number;
}

/**
 * Reads `vllm:num_requests_waiting` and `vllm:kv_cache_usage_perc` from the
 * awake engines' own `/metrics`, at most once per `maxAgeMs`, one read at a
 * time. An engine mid-switch or gone counts as empty: the pod's queue in
 * llmux is what matters then.
 */
export function engineLoadReader(options: EngineLoadReaderOptions): (awake: readonly string[]) => Promise<EngineLoad> {
  const maxAgeMs = options.maxAgeMs ?? 250;
  const timeoutMs = options.timeoutMs ?? 1000;
  let cached: { key: string; at: number; load: EngineLoad } | undefined;
  let reading: Promise<EngineLoad> | undefined;
  return async (awake) => {
    const key = [...awake].sort().join(",");
    if (cached && cached.key === key && performance.now() - cached.at < maxAgeMs) return cached.load;
    reading ??= Promise.all(awake.map((model) => readEngine(options.engine(model), timeoutMs)))
      .then((loads) => {
        const load = { waiting: loads.reduce((sum, one) => sum + one.waiting, 0), kvCacheUsage: Math.max(0, ...loads.map((one) => one.kvCacheUsage)) };
        cached = { key, at: performance.now(), load };
        return load;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
}

async function readEngine(target: EngineTarget | undefined, timeoutMs: number): Promise<EngineLoad> {
  if (target === undefined) return { waiting: 0, kvCacheUsage: 0 };
  try {
    const response = await request(`${target.url}/metrics`, {
      ...(target.dispatcher === undefined ? {} : { dispatcher: target.dispatcher }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) return { waiting: 0, kvCacheUsage: 0 };
    return { waiting: sumOf(text, "vllm:num_requests_waiting"), kvCacheUsage: Math.min(1, maxOf(text, "vllm:kv_cache_usage_perc")) };
  } catch {
    return { waiting: 0, kvCacheUsage: 0 };
  }
}

/** Values of every sample of one family in Prometheus text (`name{labels} value` or `name value`). */
function valuesOf(text: string, name: string): number[] {
  const values: number[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    const afterLabels = rest[0] === "{" ? rest.slice(rest.lastIndexOf("}") + 1) : rest;
    const value = Number(afterLabels.trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) values.push(value);
  }
  return values;
}

function sumOf(text: string, name: string): number {
  return valuesOf(text, name).reduce((sum, value) => sum + value, 0);
}

function maxOf(text: string, name: string): number {
  return Math.max(0, ...valuesOf(text, name));
}
