/**
 * A gate that generation requests wait at while the server is paused
 * (`/pause`) or an engine call (sleep, wake, reload) is running: vLLM's engine
 * core handles such a call before it admits the next request.
 */
export class RequestGate {
  #closedBy = new Set<string>();
  #waiters: Array<() => void> = [];

  close(reason: string): void {
    this.#closedBy.add(reason);
  }

  open(reason: string): void {
    this.#closedBy.delete(reason);
    if (this.#closedBy.size > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  isClosed(reason?: string): boolean {
    return reason === undefined ? this.#closedBy.size > 0 : this.#closedBy.has(reason);
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves once the gate is open; `signal` removes the waiter early (client gone). */
  async pass(signal: AbortSignal): Promise<boolean> {
    while (this.#closedBy.size > 0) {
      if (signal.aborted) return false;
      const opened = await new Promise<boolean>((resolve) => {
        const onAbort = (): void => {
          this.#waiters = this.#waiters.filter((waiter) => waiter !== wake);
          resolve(false);
        };
        const wake = (): void => {
          signal.removeEventListener("abort", onAbort);
          resolve(true);
        };
        this.#waiters.push(wake);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      if (!opened) return false;
    }
    return !signal.aborted;
  }
}
