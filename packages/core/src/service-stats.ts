import { average } from "./costs.js";

/** How many recent samples the quantiles look at. */
const WINDOW = 200;

/** Samples before a quantile is used for planning or overload: fewer would be a guess. */
const MIN_SAMPLES = 20;

/** A sliding window of recent samples with its high quantile. */
class Window {
  readonly #values: number[] = [];
  #next = 0;
  #sum = 0;
  #sorted: number[] | null = null;
  #addsSinceSort = 0;

  add(value: number): void {
    // A quantile a few samples old is as good for planning, and sorting on every completion is not free.
    if (++this.#addsSinceSort >= 10 || this.#values.length < WINDOW) this.#sorted = null;
    if (this.#values.length < WINDOW) {
      this.#values.push(value);
      this.#sum += value;
    } else {
      this.#sum += value - (this.#values[this.#next] ?? 0);
      this.#values[this.#next] = value;
    }
    this.#next = (this.#next + 1) % WINDOW;
    // Adding and subtracting fractional samples drifts by an ulp or so each time; summing afresh once per
    // lap of the window keeps the mean within rounding of the exact one at one extra pass per 200 samples.
    if (this.#next === 0) this.#sum = this.#values.reduce((sum, sample) => sum + sample, 0);
  }

  get size(): number {
    return this.#values.length;
  }

  /** Constant time: the overload estimate asks for it per model on every arrival. */
  mean(): number | null {
    return this.#values.length === 0 ? null : this.#sum / this.#values.length;
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

/** Measured service of one model; each figure null until enough samples. */
export interface ServiceSummary {
  /** Decode time per token (ms), from leases released with their output length. */
  msPerToken: number | null;
  /** Median lease duration (ms). */
  heldP50Ms: number | null;
  /** Mean lease duration (ms). */
  heldMeanMs: number | null;
  outputTokensP50: number | null;
  outputTokensP90: number | null;
  /** Lease durations and output lengths in the window (at most 200 each). */
  leases: number;
  reported: number;
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
  readonly #outputTokens = new Window();
  #msPerToken: number | null = null;
  /** [clock ms, error ms] of the last WINDOW queued requests, oldest first. */
  readonly #planErrors: [number, number][] = [];
  #lastArrivalAt: number | null = null;
  #arrivalGapMs: number | null = null;

  recordDrain(ms: number): void {
    this.#drains.add(ms);
    this.#drainAvg = average(this.#drainAvg, ms);
    this.#drainSamples++;
  }

  /** A lease ended normally after `heldMs`, having produced `completionTokens` when known. */
  recordLease(heldMs: number, completionTokens?: number): void {
    this.#held.add(heldMs);
    if (completionTokens !== undefined && completionTokens > 0) {
      this.#outputTokens.add(completionTokens);
      this.#msPerToken = average(this.#msPerToken, heldMs / completionTokens);
    }
  }

  /** A queued request went in (or timed out) `errorMs` later than the overload plan said (negative: sooner). */
  recordPlanError(errorMs: number, at: number): void {
    this.#planErrors.push([at, errorMs]);
    if (this.#planErrors.length > WINDOW) this.#planErrors.shift();
  }

  /**
   * How much later than planned recent queued requests went in: the highest
   * of the last 200 errors recorded at or after `since`, 0 when none was late.
   * The caller passes now less the longest a request may wait: an older error
   * belongs to a queue that has all gone in since, and kept, one late turn
   * would go on inflating every estimate while refusals keep new errors out.
   */
  planErrorMs(since: number): number {
    let errorMs = 0;
    for (const [at, error] of this.#planErrors) if (at >= since) errorMs = Math.max(errorMs, error);
    return errorMs;
  }

  /** A new request for the model arrived at `now` (resumed ones do not count). */
  recordArrival(now: number): void {
    if (this.#lastArrivalAt !== null) this.#arrivalGapMs = average(this.#arrivalGapMs, now - this.#lastArrivalAt);
    this.#lastArrivalAt = now;
  }

  /**
   * The expected time (ms) between the model's requests: the moving average
   * of recent gaps, or the time since the last one when that is longer (a
   * model that stopped getting requests); null before two arrived.
   */
  arrivalGapMs(now: number): number | null {
    if (this.#arrivalGapMs === null || this.#lastArrivalAt === null) return null;
    return Math.max(this.#arrivalGapMs, now - this.#lastArrivalAt);
  }

  drain(): DrainSummary | null {
    if (this.#drainAvg === null) return null;
    return { avgMs: this.#drainAvg, p90Ms: this.#drains.quantile(0.9) ?? this.#drainAvg, samples: this.#drainSamples };
  }

  /** Measured decode time per token (ms), once a holder has reported tokens. */
  get msPerToken(): number | null {
    return this.#msPerToken;
  }

  /** The longest of the last 200 lease times (ms), null before enough were seen. */
  heldMax(): number | null {
    return this.#held.size >= MIN_SAMPLES ? this.#held.quantile(1) : null;
  }

  /** The 90th percentile of recent lease durations (ms), once enough were seen to mean something. */
  heldP90(): number | null {
    return this.#held.size >= MIN_SAMPLES ? this.#held.quantile(0.9) : null;
  }

  /** The median of recent lease durations (ms), once enough were seen to mean something. */
  heldP50(): number | null {
    return this.#held.size >= MIN_SAMPLES ? this.#held.quantile(0.5) : null;
  }

  /** The mean of recent lease durations (ms): what sets a model's throughput (`max_concurrency` ÷ mean). */
  heldMean(): number | null {
    return this.#held.size >= MIN_SAMPLES ? this.#held.mean() : null;
  }

  /** The longest output of the last 200 reported (tokens), null before enough were seen. */
  outputTokensMax(): number | null {
    return this.#outputTokens.size >= MIN_SAMPLES ? this.#outputTokens.quantile(1) : null;
  }

  /** The 90th percentile of the output lengths holders reported (tokens), once enough were reported. */
  outputTokensP90(): number | null {
    return this.#outputTokens.size >= MIN_SAMPLES ? this.#outputTokens.quantile(0.9) : null;
  }

  /** What was measured, for the snapshot (null until enough samples). */
  summary(): ServiceSummary {
    return {
      msPerToken: this.#msPerToken,
      heldP50Ms: this.heldP50(),
      heldMeanMs: this.heldMean(),
      outputTokensP50: this.#outputTokens.size >= MIN_SAMPLES ? this.#outputTokens.quantile(0.5) : null,
      outputTokensP90: this.outputTokensP90(),
      leases: this.#held.size,
      reported: this.#outputTokens.size,
    };
  }
}
