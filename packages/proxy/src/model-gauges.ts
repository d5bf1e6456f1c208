import { Gauge, type Registry } from "prom-client";

/** The per-model view the gauges read at scrape time (from the multiplexer's snapshot). */
export interface ModelGaugeView {
  state: string;
  queueDepth: number;
  /** Measured drains (core's snapshot), when there were any. */
  drain?: unknown;
}

export interface ModelGaugesOptions {
  /** Every state name a model can be in (for the one-hot state gauge). */
  states: readonly string[];
  /** Read at scrape time; undefined for a model the multiplexer does not know (any more). */
  view: (model: string) => ModelGaugeView | undefined;
  /** Whether the running config has this model. */
  configured: (model: string) => boolean;
}

const DRAIN_STATS = ["avg", "p90"] as const;

/**
 * A per-model gauge of `counts`, set at scrape time. A model's series stays
 * while `shown(model)` or while its count is not 0 (a removed model's last
 * requests), then it goes, with the model's entry in `counts`. `beforeCollect`
 * runs first (to bring `shown` up to date).
 */
export function countsGauge(
  registry: Registry,
  name: string,
  help: string,
  counts: Map<string, number>,
  shown: (model: string) => boolean,
  beforeCollect?: () => void,
): Gauge<"model"> {
  return new Gauge({
    name,
    help,
    labelNames: ["model"],
    registers: [registry],
    collect() {
      beforeCollect?.();
      for (const [model, count] of counts) {
        if (count !== 0 || shown(model)) this.set({ model }, count);
        else {
          counts.delete(model);
          this.remove({ model });
        }
      }
    },
  });
}

/**
 * What each model is doing now: its state, queue, measured drains and
 * requests in flight. A model has these series while the multiplexer knows
 * it, which for a model a reload removed lasts until it has finished its
 * requests and stopped; then they go, so that no scrape shows the state of
 * a model that is gone. Its in-flight series waits for its last request.
 */
export class ModelGauges {
  /** Models with series: the configured ones, and removed ones still finishing. */
  readonly #shown = new Set<string>();
  readonly #inFlight = new Map<string, number>();
  readonly #options: ModelGaugesOptions;
  readonly #queueDepth: Gauge<"model">;
  readonly #state: Gauge<"model" | "state">;
  readonly #drain: Gauge<"model" | "stat">;
  readonly #inFlightGauge: Gauge<"model">;
  /** The views of one scrape (its gauges are collected one after another in one turn). */
  #views: Map<string, ModelGaugeView | undefined> | undefined;

  constructor(registry: Registry, options: ModelGaugesOptions) {
    const registers = [registry];
    this.#options = options;
    const inFlight = this.#inFlight;
    const shown = this.#shown;
    const views = () => this.#currentViews();
    this.#inFlightGauge = countsGauge(
      registry,
      "llmux_in_flight_requests",
      "Requests holding a lease and being answered by their model, per model.",
      inFlight,
      (model) => shown.has(model),
      views,
    );
    this.#queueDepth = new Gauge({
      name: "llmux_queue_depth",
      help: "Requests waiting for a lease, per model.",
      labelNames: ["model"],
      registers,
      collect() {
        for (const [model, view] of views()) this.set({ model }, view?.queueDepth ?? 0);
      },
    });
    const { states } = options;
    this.#state = new Gauge({
      name: "llmux_model_state",
      help: "1 for the state each model is in, 0 for the others.",
      labelNames: ["model", "state"],
      registers,
      collect() {
        for (const [model, view] of views()) for (const state of states) this.set({ model, state }, state === view?.state ? 1 : 0);
      },
    });
    this.#drain = new Gauge({
      name: "llmux_model_drain_seconds",
      help: "Measured drains per model: moving average (`stat=avg`) and 90th percentile of recent ones (`stat=p90`).",
      labelNames: ["model", "stat"],
      registers,
      collect() {
        for (const [model, view] of views()) {
          const drain = view?.drain as { avg_ms?: unknown; p90_ms?: unknown } | null | undefined;
          if (typeof drain?.avg_ms === "number") this.set({ model, stat: "avg" }, drain.avg_ms / 1000);
          if (typeof drain?.p90_ms === "number") this.set({ model, stat: "p90" }, drain.p90_ms / 1000);
        }
      },
    });
  }

  /** Configured models get their series now, in-flight at 0: dashboards see 0 before the first request, not nothing. */
  show(models: Iterable<string>): void {
    for (const model of models) {
      this.#shown.add(model);
      if (!this.#inFlight.has(model)) this.#inFlight.set(model, 0);
    }
  }

  /** Whether `model` has series (configured, or removed and still finishing). */
  shows(model: string): boolean {
    return this.#shown.has(model);
  }

  inFlightStarted(model: string): void {
    this.#inFlight.set(model, (this.#inFlight.get(model) ?? 0) + 1);
  }

  inFlightEnded(model: string): void {
    const count = this.#inFlight.get(model);
    if (count !== undefined) this.#inFlight.set(model, count - 1);
  }

  /** Each shown model's view at this scrape; a model neither configured nor known to the multiplexer loses its series. */
  #currentViews(): Map<string, ModelGaugeView | undefined> {
    if (this.#views !== undefined) return this.#views;
    const views = new Map<string, ModelGaugeView | undefined>();
    for (const model of this.#shown) {
      const view = this.#options.view(model);
      if (view === undefined && !this.#options.configured(model)) this.#forget(model);
      else views.set(model, view);
    }
    this.#views = views;
    // One snapshot per model per scrape, not one per gauge; the next scrape reads afresh.
    queueMicrotask(() => {
      this.#views = undefined;
    });
    return views;
  }

  #forget(model: string): void {
    this.#shown.delete(model);
    this.#queueDepth.remove({ model });
    for (const state of this.#options.states) this.#state.remove({ model, state });
    for (const stat of DRAIN_STATS) this.#drain.remove({ model, stat });
    if (this.#inFlight.get(model) === 0) {
      this.#inFlight.delete(model);
      this.#inFlightGauge.remove({ model });
    }
  }
}
