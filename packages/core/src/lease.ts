/** Permission to send requests to one awake model; hold it until the response's last byte. */
export interface Lease {
  readonly model: string;
  /** Upstream base URL (the model's vLLM server), no trailing slash. */
  readonly url: string;
  /** Aborts (reason: a coded error) when the model's process dies or the lease is preempted. */
  readonly signal: AbortSignal;
  /** Give the lease back. Idempotent. */
  release(): void;
}

export class LeaseImpl implements Lease {
  readonly model: string;
  readonly url: string;
  readonly grantedAt: number;
  readonly #controller = new AbortController();
  readonly #onRelease: (lease: LeaseImpl) => void;
  #released = false;

  constructor(model: string, url: string, grantedAt: number, onRelease: (lease: LeaseImpl) => void) {
    this.model = model;
    this.url = url;
    this.grantedAt = grantedAt;
    this.#onRelease = onRelease;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get released(): boolean {
    return this.#released;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease(this);
  }

  /** Abort the holder's request; the lease no longer counts as in flight. */
  revoke(reason: Error): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    if (!this.#released) {
      this.#released = true;
      this.#onRelease(this);
    }
  }
}
