import type { Clock, TimerHandle } from "../clock.js";

/** How a simulated engine serves requests. */
export interface SimServiceOptions {
  /** Prefill: time to first token, ms. */
  ttftMs: number;
  /** Decode rate of one sequence, tokens/s. */
  tokensPerSec: number;
  /** Sequences the engine runs at once (vLLM's batch, `--max-num-seqs`); more wait inside the engine. */
  maxConcurrency: number;
  /** Prefill rate, tokens/s: what a resumed request costs to read its text so far again. */
  prefillTokensPerSec: number;
}

/**
 * A 7–14B model on one GPU: 40 tokens/s per sequence (the low end of the
 * published 40–80, as a full batch runs slower), 200 ms prefill, 64
 * sequences at once (about what the KV cache of an 80 GB card holds at 4k
 * tokens each).
 */
export const DEFAULT_SIM_SERVICE: SimServiceOptions = { ttftMs: 200, tokensPerSec: 40, maxConcurrency: 64, prefillTokensPerSec: 5000 };

/** One generation handed to a simulated engine. */
export interface SimJob {
  tokens: number;
  /** A continuation reads this many tokens again (prompt + text so far) before it decodes. */
  rereadTokens?: number;
  /** Clock ms the job began running. */
  begunAt?: number;
  /** Called when the last token is out. */
  finish: () => void;
  timer?: TimerHandle;
  state?: "queued" | "running" | "done";
}

/**
 * The serving side of one simulated engine: at most `maxConcurrency` jobs run,
 * the rest queue inside the engine (as in vLLM's scheduler). A cancelled job
 * stops at once and frees its place.
 */
export class SimServer {
  readonly #clock: Clock;
  readonly #service: SimServiceOptions;
  readonly #queue: SimJob[] = [];
  #head = 0;
  #running = 0;

  readonly #onSpan: ((begin: number, end: number) => void) | undefined;

  constructor(clock: Clock, service: SimServiceOptions, onSpan?: (begin: number, end: number) => void) {
    this.#clock = clock;
    this.#service = service;
    this.#onSpan = onSpan;
  }

  /** Tokens a running job has produced so far (0 for one still reading its prompt). */
  produced(job: SimJob): number {
    if (job.state !== "running" || job.begunAt === undefined) return 0;
    const decodingMs = this.#clock.now() - job.begunAt - this.prefillMs(job);
    return Math.max(0, Math.min(job.tokens, Math.floor((decodingMs * this.#service.tokensPerSec) / 1000)));
  }

  /** Time to the job's first token once it runs: prefill, and a continuation's re-read. */
  prefillMs(job: SimJob): number {
    const reread = job.rereadTokens ?? 0;
    return this.#service.ttftMs + (reread > 0 && this.#service.prefillTokensPerSec > 0 ? (reread / this.#service.prefillTokensPerSec) * 1000 : 0);
  }

  submit(job: SimJob): void {
    job.state = "queued";
    if (this.#running < this.#service.maxConcurrency) this.#begin(job);
    else this.#queue.push(job);
  }

  /** Stop a job wherever it is; its place goes to the next one. */
  cancel(job: SimJob): void {
    if (job.state === "running") {
      if (job.timer !== undefined) this.#clock.clearTimeout(job.timer);
      if (job.begunAt !== undefined) this.#onSpan?.(job.begunAt, this.#clock.now());
      job.state = "done";
      this.#running--;
      this.#next();
    } else if (job.state === "queued") {
      job.state = "done";
    }
  }

  #begin(job: SimJob): void {
    job.state = "running";
    job.begunAt = this.#clock.now();
    this.#running++;
    const decodeMs = this.#service.tokensPerSec > 0 ? (job.tokens / this.#service.tokensPerSec) * 1000 : 0;
    job.timer = this.#clock.setTimeout(() => {
      this.#onSpan?.(job.begunAt as number, this.#clock.now());
      job.state = "done";
      this.#running--;
      this.#next();
      job.finish();
    }, this.prefillMs(job) + decodeMs);
  }

  #next(): void {
    while (this.#running < this.#service.maxConcurrency && this.#head < this.#queue.length) {
      const job = this.#queue[this.#head++] as SimJob;
      if (job.state === "queued") this.#begin(job);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
