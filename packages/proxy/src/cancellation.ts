/**
 * Why one forwarded request stops early: its client went away, the proxy is
 * shutting down, or its lease was revoked. `signal` is for the waits that take
 * one (the multiplexer's queue, a resumed request's parts); the upstream
 * exchange in progress is told through one callback instead of a listener on
 * the signal, and the proxy's shutdown reaches every request through the set of
 * live ones rather than a listener each on its long-lived signal.
 */
export class Cancellation {
  readonly #controller = new AbortController();
  #hook: ((reason: Error) => void) | undefined;

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#controller.signal.aborted;
  }

  get reason(): unknown {
    return this.#controller.signal.reason;
  }

  abort(reason: Error): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    this.#hook?.(reason);
  }

  /** Call `hook` on abort (one at a time; `undefined` removes it), at once when already aborted. */
  onAbort(hook: ((reason: Error) => void) | undefined): void {
    this.#hook = hook;
    if (hook !== undefined && this.aborted) hook(this.reason as Error);
  }
}
