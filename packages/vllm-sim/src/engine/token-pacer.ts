/** Decode steps of the first request after a wake that run slow (cold caches), before the configured rate. */
export const COLD_STEPS = 16;

/**
 * When each token of one generation is due. Tokens are paced against the
 * time the first one went out, not by sleeping one interval after the
 * previous: vLLM's decode rate is set by the GPU, so an event loop that
 * runs late (a busy host, a slow client write) must not stretch the
 * generation. A late token is due at once and the next ones catch up.
 *
 * A cold request (the first after a wake) runs `slowdown` times slower for
 * its first {@link COLD_STEPS} steps only: a one-off cost of warming caches,
 * which a 1-token warm-up request absorbs, not a slower engine for the whole
 * of a long answer.
 */
export class TokenPacer {
  readonly #intervalMs: number;
  readonly #slowdown: number;
  readonly #now: () => number;
  #dueAt: number | undefined;
  #steps = 0;

  constructor(tokensPerSec: number, slowdown = 1, now: () => number = () => performance.now()) {
    this.#intervalMs = tokensPerSec > 0 ? 1000 / tokensPerSec : 0;
    this.#slowdown = slowdown;
    this.#now = now;
  }

  /** True when tokens are not paced at all (`tokens-per-sec` 0). */
  get unpaced(): boolean {
    return this.#intervalMs === 0;
  }

  /** The first token went out now: later ones are due from here. */
  started(): void {
    this.#dueAt = this.#now();
  }

  /** Milliseconds to wait before the next token (0 when it is already due). */
  nextDelayMs(): number {
    this.#steps++;
    const step = this.#intervalMs * (this.#steps <= COLD_STEPS ? this.#slowdown : 1);
    this.#dueAt = (this.#dueAt ?? this.#now()) + step;
    return Math.max(0, this.#dueAt - this.#now());
  }
}
