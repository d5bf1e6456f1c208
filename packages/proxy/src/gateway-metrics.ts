import { Gauge, type Registry } from "prom-client";
import type { ProxyModelView } from "./mux.js";

/**
 * The Gateway API Inference Extension's model server protocol, spoken by a
 * whole llmux pod: its endpoint picker scrapes these families (by their vLLM
 * names) to choose a pod per request. Each family has exactly one series,
 * because the picker takes one series per family.
 */

/** What the engines of the awake models report about themselves. */
export interface EngineLoad {
  /** Requests waiting inside the engines (admitted by llmux, not yet scheduled by vLLM). */
  waiting: number;
  /** The highest KV-cache usage among them, 0..1. */
  kvCacheUsage: number;
}

export interface GatewayMetricsOptions {
  /** Per-model views at scrape time (name, state, queue, in-flight, GPUs, memory fraction). */
  models: () => readonly GatewayModelView[];
  /** Load the engines of these awake models report; may be cached. */
  engineLoad: (awake: readonly string[]) => Promise<EngineLoad>;
  /** Wall-clock ms (the LoRA info gauge's value is the epoch seconds of its last change). */
  now?: () => number;
}

export interface GatewayModelView {
  name: string;
  state: string;
  queueDepth: number;
  inFlight: number;
  gpus: readonly number[];
  gpuMemoryUtilization: number;
}

/** Per-model views in the shape the gauges read, from the proxy's snapshot views. */
export function gatewayViews(views: ReadonlyMap<string, ProxyModelView>): GatewayModelView[] {
  return [...views].map(([name, view]) => ({
    name,
    state: view.state,
    queueDepth: view.queueDepth,
    inFlight: view.inFlight,
    gpus: Array.isArray(view.gpus) ? (view.gpus as number[]) : [0],
    gpuMemoryUtilization: typeof view.gpuMemoryUtilization === "number" ? view.gpuMemoryUtilization : 1,
  }));
}

/** The protocol's LoRA labels for a pod: awake models run, queued-for models wait, `max_lora` fit at once. */
export function loraLabels(models: readonly GatewayModelView[]): { max_lora: string; running_lora_adapters: string; waiting_lora_adapters: string } {
  const running = models.filter((model) => model.state === "awake").map((model) => model.name);
  // An awake model with a queue is already "running": listing it twice would make the
  // picker's affinity scorer count it twice against max_lora.
  const waiting = models.filter((model) => model.queueDepth > 0 && model.state !== "awake").map((model) => model.name);
  return {
    max_lora: String(maxAwake(models)),
    running_lora_adapters: running.sort().join(","),
    waiting_lora_adapters: waiting.sort().join(","),
  };
}

const EPSILON = 1e-9;

/**
 * How many models can be awake at once within the GPU budget: the most that
 * fit, smallest memory fractions first. Sleepers' reserves are left out
 * because llmux stops sleepers when their reserves block a wake.
 */
export function maxAwake(models: readonly GatewayModelView[]): number {
  const used = new Map<number, number>();
  let count = 0;
  for (const model of [...models].sort((a, b) => a.gpuMemoryUtilization - b.gpuMemoryUtilization)) {
    const fits = model.gpus.every((gpu) => (used.get(gpu) ?? 0) + model.gpuMemoryUtilization <= 1 + EPSILON);
    if (!fits) continue;
    for (const gpu of model.gpus) used.set(gpu, (used.get(gpu) ?? 0) + model.gpuMemoryUtilization);
    count += 1;
  }
  return count;
}

/** Register the protocol's gauges in `registry`. */
export function registerGatewayMetrics(registry: Registry, options: GatewayMetricsOptions): void {
  const registers = [registry];
  const now = options.now ?? Date.now;
  // One scrape computes every family from one view: the picker reads them as one state.
  let pending: Promise<{ waiting: number; running: number; kvCacheUsage: number }> | undefined;
  const compute = (): Promise<{ waiting: number; running: number; kvCacheUsage: number }> => {
    pending ??= (async () => {
      const models = options.models();
      const awake = models.filter((model) => model.state === "awake").map((model) => model.name);
      const engines = awake.length === 0 ? { waiting: 0, kvCacheUsage: 0 } : await options.engineLoad(awake);
      const queued = models.reduce((sum, model) => sum + model.queueDepth, 0);
      const inFlight = models.reduce((sum, model) => sum + model.inFlight, 0);
      return { waiting: queued + engines.waiting, running: Math.max(0, inFlight - engines.waiting), kvCacheUsage: engines.kvCacheUsage };
    })().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  new Gauge({
    name: "vllm:num_requests_waiting",
    help: "Requests waiting: llmux's queues for every model plus the waiting queues of the awake engines.",
    registers,
    async collect() {
      this.set((await compute()).waiting);
    },
  });
  new Gauge({
    name: "vllm:num_requests_running",
    help: "Requests being answered by an awake engine.",
    registers,
    async collect() {
      this.set((await compute()).running);
    },
  });
  new Gauge({
    name: "vllm:kv_cache_usage_perc",
    help: "KV-cache usage of the fullest awake engine; 1 means 100 percent.",
    registers,
    async collect() {
      this.set((await compute()).kvCacheUsage);
    },
  });

  let last: { key: string; at: number } | undefined;
  new Gauge({
    name: "vllm:lora_requests_info",
    help: "Awake models (running_lora_adapters), models with queued requests (waiting_lora_adapters) and how many fit at once (max_lora); the value is the epoch seconds of the last change.",
    labelNames: ["max_lora", "running_lora_adapters", "waiting_lora_adapters"],
    registers,
    collect() {
      const labels = loraLabels(options.models());
      const key = JSON.stringify(labels);
      if (last?.key !== key) last = { key, at: now() / 1000 };
      // The picker keeps the series with the highest value; publish the current one only.
      this.reset();
      this.set(labels, last.at);
    },
  });
}
