/** Permission to send requests to one awake model; hold it until the response's last byte. */
export interface Lease {
  readonly model: string;
  /** Upstream base URL (the model's vLLM server), no trailing slash. */
  readonly url: string;
  /** The Unix socket to connect to when the engine serves on one (`url` then only names the `Host`). */
  readonly socketPath: string | undefined;
  /** Aborts (reason: a coded error) when the model's process dies or the lease is preempted. */
  readonly signal: AbortSignal;
  /** Set when the lease was granted as `preemptible`: a switch may pause it (reason `LLMUX_ERR_REQUEST_PAUSED`). */
  readonly preemptible: boolean;
  /** Give the lease back; `usage.completionTokens` (when known) lets llmux measure the decode rate. Idempotent. */
  release(usage?: LeaseUsage): void;
  /**
   * Call `listener` (one at a time; `undefined` removes it) when the lease is
   * revoked, at once if it already was: the same moment `signal` aborts, without
   * an `AbortSignal` and its listeners on every request's path.
   */
  onRevoke(listener: ((reason: Error) => void) | undefined): void;
}

/** What the holder saw of the generation it ran under a lease. */
export interface LeaseUsage {
  completionTokens?: number;
}

export class LeaseImpl implements Lease {
  readonly model: string;
  readonly url: string;
  readonly socketPath: string | undefined;
  readonly grantedAt: number;
  /** When the request first arrived (a resumed one keeps its first arrival). */
  readonly arrivedAt: number;
  /** Clock ms by which the generation is expected to end (admission's estimate). */
  readonly expectedEndAt: number;
  /** Clock ms by which it ends at the latest: at its `max_tokens`, else the longest output seen (what a promise allows for). */
  readonly latestEndAt: number;
  preemptible = false;
  /** The holder can resume the request (it asked as `preemptible`), even when `max_preemptions` keeps it from being paused again. */
  resumable = false;
  /** The holder's name for the request, for the switch log. */
  requestId: string | undefined;
  // Made on first use of `signal`: most holders never look at it, and a controller per request costs.
  #controller: AbortController | undefined;
  #revokedBy: Error | undefined;
  #revokeListener: ((reason: Error) => void) | undefined;
  readonly #onRelease: (lease: LeaseImpl, usage: LeaseUsage | undefined, revoked: boolean) => void;
  #released = false;

  constructor(
    model: string,
    url: string,
    grantedAt: number,
    arrivedAt: number,
    expectedEndAt: number,
    latestEndAt: number,
    onRelease: (lease: LeaseImpl, usage: LeaseUsage | undefined, revoked: boolean) => void,
    socketPath?: string,
  ) {
    this.model = model;
    this.url = url;
    this.socketPath = socketPath;
    this.grantedAt = grantedAt;
    this.arrivedAt = arrivedAt;
    this.expectedEndAt = expectedEndAt;
    this.latestEndAt = latestEndAt;
    this.#onRelease = onRelease;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#revokedBy !== undefined) this.#controller.abort(this.#revokedBy);
    }
    return this.#controller.signal;
  }

  onRevoke(listener: ((reason: Error) => void) | undefined): void {
    this.#revokeListener = listener;
    if (listener !== undefined && this.#revokedBy !== undefined) listener(this.#revokedBy);
  }

  get released(): boolean {
    return this.#released;
  }

  release(usage?: LeaseUsage): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease(this, usage, this.#revokedBy !== undefined);
  }

  /** Abort the holder's request; the lease no longer counts as in flight. */
  revoke(reason: Error): void {
    if (this.#revokedBy === undefined) {
      this.#revokedBy = reason;
      this.#controller?.abort(reason);
      this.#revokeListener?.(reason);
    }
    if (!this.#released) {
      this.#released = true;
      this.#onRelease(this, undefined, true);
    }
  }
}
