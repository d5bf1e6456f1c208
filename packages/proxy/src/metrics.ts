import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { BoundHistogram, type HistogramSeries } from "./bound-histogram.js";
import { type ModelGaugeView, ModelGauges } from "./model-gauges.js";
import { PreemptionMetrics } from "./preemption-metrics.js";

export interface ProxyMetricsOptions {
  /** Configured model names: a name never configured is labelled `""` (bounded cardinality). */
  models: readonly string[];
  /** Every state name a model can be in (for the one-hot state gauge). */
  states: readonly string[];
  /** Read at scrape time for queue depth and state; returns undefined for a model it does not know. */
  view: (model: string) => ModelGaugeView | undefined;
  /** Label value of `llmux_build_info`. */
  version: string;
}

const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const SWITCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

interface ModelSeries {
  byStatus: Map<number, HistogramSeries>;
  queueWait: HistogramSeries | undefined;
  timeToFirstByte: HistogramSeries | undefined;
}

/** Phases of a switch; `stop` is a level-3 sleep. */
export type SwitchPhase = "drain" | "sleep" | "stop" | "wake" | "start" | "warmup";

/**
 * The proxy's Prometheus metrics, in a Registry of their own (no global
 * state: two proxies in one process do not share series). Names follow
 * Prometheus conventions: `llmux_` prefix, base units, `_total` counters.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  /** The running config's models. */
  private readonly configured: Set<string>;
  /**
   * Every name configured since start: the `model` label's values. A removed model's counters and
   * histograms stay (history; a series that vanished would lose what it counted since the last scrape).
   */
  private readonly labelled: Set<string>;
  private readonly gauges: ModelGauges;
  private readonly requestDuration: BoundHistogram;
  private readonly timeToFirstByte: BoundHistogram;
  private readonly queueWait: BoundHistogram;
  /** Each model label's series, bound on its first request: observing then hashes no labels. */
  private readonly series = new Map<string, ModelSeries>();
  private readonly switches: Counter<"trigger" | "from" | "to" | "result">;
  private readonly switchDuration: Histogram<"trigger" | "from" | "to" | "result">;
  private readonly phaseDuration: Histogram<"phase" | "model">;
  private readonly escalations: Counter<"model">;
  private readonly restarts: Counter<"model">;
  readonly preemption: PreemptionMetrics;
  private readonly reloads: Counter<"result">;

  constructor(options: ProxyMetricsOptions) {
    const registers = [this.registry];
    this.configured = new Set(options.models);
    this.labelled = new Set(options.models);
    collectDefaultMetrics({ register: this.registry });
    this.preemption = new PreemptionMetrics(this.registry, (model) => this.gauges.shows(model));

    new Gauge({
      name: "llmux_build_info",
      help: "Always 1; the llmux proxy version as a label.",
      labelNames: ["version"],
      registers,
    }).set({ version: options.version }, 1);

    const registry = this.registry;
    this.requestDuration = new BoundHistogram({
      name: "llmux_request_duration_seconds",
      help: "Time from a request's arrival to its last response byte, queue wait included.",
      buckets: REQUEST_BUCKETS,
      registry,
    });
    this.requestDuration.countsAs({ name: "llmux_requests_total", help: "Finished client requests by model and HTTP status.", registry });
    this.timeToFirstByte = new BoundHistogram({
      name: "llmux_time_to_first_byte_seconds",
      help: "Time from a request's arrival to the first response byte from its model (keep-alive comments excluded).",
      buckets: REQUEST_BUCKETS,
      registry,
    });
    this.queueWait = new BoundHistogram({
      name: "llmux_queue_wait_seconds",
      help: "Time a request waited for a lease on its model (switches included).",
      buckets: REQUEST_BUCKETS,
      registry,
    });
    const configured = this.configured;
    this.gauges = new ModelGauges(registry, { states: options.states, view: options.view, configured: (model) => configured.has(model) });
    this.switches = new Counter({
      name: "llmux_switches_total",
      help: "Model switches by what started them (`trigger`), the models put away (`from`, empty when none), the model brought up (`to`, empty when none) and result.",
      labelNames: ["trigger", "from", "to", "result"],
      registers,
    });
    this.switchDuration = new Histogram({
      name: "llmux_switch_duration_seconds",
      help: "Duration of model switches, from decision to the target admitting requests (or the last model put away).",
      labelNames: ["trigger", "from", "to", "result"],
      buckets: SWITCH_BUCKETS,
      registers,
    });
    this.phaseDuration = new Histogram({
      name: "llmux_switch_phase_duration_seconds",
      help: "Duration of each switch phase (drain, sleep, stop, wake, start) per model it acted on.",
      labelNames: ["phase", "model"],
      buckets: SWITCH_BUCKETS,
      registers,
    });
    this.escalations = new Counter({
      name: "llmux_escalations_total",
      help: "Sleeps or wakes that failed or timed out and were escalated to a stop (level 3).",
      labelNames: ["model"],
      registers,
    });
    this.restarts = new Counter({
      name: "llmux_model_restarts_total",
      help: "Unexpected exits of a model's vLLM process (crashes) followed by a restart or stop.",
      labelNames: ["model"],
      registers,
    });
    this.reloads = new Counter({
      name: "llmux_config_reloads_total",
      help: "Config reloads (SIGHUP or POST /llmux/reload) by result: ok, or invalid (nothing changed).",
      labelNames: ["result"],
      registers,
    });
    for (const result of ["ok", "invalid"]) this.reloads.inc({ result }, 0);
  }

  countReload(result: "ok" | "invalid"): void {
    this.reloads.inc({ result });
  }

  /**
   * A reload changed the configured models. Added ones get their series; a
   * removed one keeps its gauges until the multiplexer no longer knows it.
   */
  setModels(models: readonly string[]): void {
    this.configured.clear();
    for (const model of models) {
      this.configured.add(model);
      this.labelled.add(model);
    }
    this.primeModels();
  }

  /** The label for a model name from a client: names configured since start only. */
  modelLabel(model: string | undefined): string {
    return model !== undefined && this.labelled.has(model) ? model : "";
  }

  /** One finished request (times in ms, as the request record has them). */
  observeRequest(sample: {
    model: string | undefined;
    status: number;
    durationMs: number;
    queueWaitMs?: number | undefined;
    timeToFirstByteMs?: number | undefined;
  }): void {
    const model = this.modelLabel(sample.model);
    let series = this.series.get(model);
    if (series === undefined) {
      series = { byStatus: new Map(), queueWait: undefined, timeToFirstByte: undefined };
      this.series.set(model, series);
    }
    let duration = series.byStatus.get(sample.status);
    if (duration === undefined) {
      duration = this.requestDuration.series({ model, status: String(sample.status) });
      series.byStatus.set(sample.status, duration);
    }
    duration.observe(sample.durationMs / 1000);
    if (sample.queueWaitMs !== undefined) {
      series.queueWait ??= this.queueWait.series({ model });
      series.queueWait.observe(sample.queueWaitMs / 1000);
    }
    if (sample.timeToFirstByteMs !== undefined) {
      series.timeToFirstByte ??= this.timeToFirstByte.series({ model });
      series.timeToFirstByte.observe(sample.timeToFirstByteMs / 1000);
    }
  }

  inFlightStarted(model: string): void {
    this.gauges.inFlightStarted(this.modelLabel(model));
  }

  inFlightEnded(model: string): void {
    this.gauges.inFlightEnded(this.modelLabel(model));
  }

  observeSwitch(sample: { trigger: string; from: string; to: string; result: string; durationSecs: number }): void {
    const labels = { trigger: sample.trigger, from: sample.from, to: sample.to, result: sample.result };
    this.switches.inc(labels);
    this.switchDuration.observe(labels, sample.durationSecs);
  }

  observePhase(phase: SwitchPhase, model: string, durationSecs: number): void {
    this.phaseDuration.observe({ phase, model }, durationSecs);
  }

  countEscalation(model: string): void {
    this.escalations.inc({ model });
  }

  countRestart(model: string): void {
    this.restarts.inc({ model });
  }

  /** Zero the per-model series so they exist before the first request (dashboards see 0, not nothing). */
  primeModels(): void {
    this.gauges.show(this.configured);
  }

  /** Prometheus text exposition of every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
