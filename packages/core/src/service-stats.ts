import { average } from "./costs.js";

/** How many recent samples the quantiles look at. */
const WINDOW = 200;

/** A sliding window of recent samples with its high quantile. */
class Window {
  readonly #values: number[] = [];
  #next = 0;
  #sorted: number[] | null = null;
  #addsSinceSort = 0;

  add(value: number): void {
    // A quantile a few samples old is as good for planning, and sorting on every completion is not free.
    if (++this.#addsSinceSort >= 10 || this.#values.length < WINDOW) this.#sorted = null;
    if (this.#values.length < WINDOW) this.#values.push(value);
    else this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % WINDOW;
  }

  get size(): number {
    return this.#values.length;
  }

  quantile(q: number): number | null {
    if (this.#values.length === 0) return null;
    if (this.#sorted === null) {
      this.#sorted = [...this.#values].sort((a, b) => a - b);
      this.#addsSinceSort = 0;
    }
    const sorted = this.#sorted;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
  }
}

/** Measured drains of one model (ms). */
export interface DrainSummary {
  avgMs: number;
  p90Ms: number;
  samples: number;
}

/**
 * What llmux measures of one model's service: its drains (how long a switch
 * waited for generations in flight), how long leases are held, and the
 * decode time per token when the holder reports its output length. Admission
 * and the policies plan with these.
 */
export class ServiceStats {
  readonly #drains = new Window();
  #drainAvg: number | null = null;
  #drainSamples = 0;
  readonly #held = new Window();
  #msPerToken: number | null = null;

  recordDrain(ms: number): void {
    this.#drains.add(ms);
    this.#drainAvg = average(this.#drainAvg, ms);
    this.#drainSamples++;
  }

  /** A lease ended normally after `heldMs`, having produced `completionTokens` when known. */
  recordLease(heldMs: number, completionTokens?: number): void {
    this.#held.add(heldMs);
    if (completionTokens !== undefined && completionTokens > 0) this.#msPerToken = average(this.#msPerToken, heldMs / completionTokens);
  }

  drain(): DrainSummary | null {
    if (this.#drainAvg === null) return null;
    return { avgMs: this.#drainAvg, p90Ms: this.#drains.quantile(0.9) ?? this.#drainAvg, samples: this.#drainSamples };
  }

  /** Measured decode time per token (ms), once a holder has reported tokens. */
  get msPerToken(): number | null {
    return this.#msPerToken;
  }

  /** The 90th percentile of recent lease durations (ms), once enough were seen to mean something. */
  heldP90(): number | null {
    return this.#held.size >= 20 ? this.#held.quantile(0.9) : null;
  }
}
