import { Counter, Histogram, type Registry } from "prom-client";
import { countsGauge } from "./model-gauges.js";

const PAUSE_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Pauses and resumes of requests across switches (`max_drain_secs`), per model. */
export class PreemptionMetrics {
  readonly #preemptions: Counter<"model">;
  readonly #resumes: Counter<"model">;
  readonly #reread: Counter<"model">;
  readonly #pause: Histogram<"model">;
  /** Requests paused now per model, read by the gauge at scrape time. */
  readonly #pausedCounts = new Map<string, number>();

  /** `shown`: whether a model still has per-model gauges (see `ModelGauges`); a paused-requests series ends with them. */
  constructor(registry: Registry, shown: (model: string) => boolean) {
    const registers = [registry];
    this.#preemptions = new Counter({
      name: "llmux_preemptions_total",
      help: "Requests paused by a switch to be resumed later.",
      labelNames: ["model"],
      registers,
    });
    this.#resumes = new Counter({ name: "llmux_resumes_total", help: "Paused requests admitted again as continuations.", labelNames: ["model"], registers });
    this.#reread = new Counter({
      name: "llmux_resume_reread_tokens_total",
      help: "Prompt tokens of continuations (the original prompt and the text so far), which the model read again.",
      labelNames: ["model"],
      registers,
    });
    this.#pause = new Histogram({
      name: "llmux_pause_duration_seconds",
      help: "Time a paused request waited before it was resumed.",
      labelNames: ["model"],
      buckets: PAUSE_BUCKETS,
      registers,
    });
    countsGauge(registry, "llmux_paused_requests", "Requests paused by a switch and not yet resumed.", this.#pausedCounts, shown);
  }

  /** How many of `model`'s requests are paused now. */
  pausedNow(model: string, requests: number): void {
    this.#pausedCounts.set(model, requests);
  }

  paused(model: string, requests: number): void {
    this.#preemptions.inc({ model }, requests);
  }

  resumed(model: string, pausedSecs: number): void {
    this.#resumes.inc({ model });
    this.#pause.observe({ model }, pausedSecs);
  }

  reread(model: string, tokens: number): void {
    if (tokens > 0) this.#reread.inc({ model }, tokens);
  }
}
