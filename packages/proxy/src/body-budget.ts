/**
 * The bytes of request bodies held in memory across all requests: a request
 * reserves its body's size before reading it (Content-Length) or once read
 * (chunked), and gives it back when it ends. Queued requests keep their
 * bodies while they wait for a switch, so without a shared bound a burst of
 * large bodies behind a cold start grows memory without limit.
 */
export class BodyBudget {
  readonly limit: number;
  #used = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** Take `bytes` if they fit; the caller must `release` exactly what it took. */
  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}
