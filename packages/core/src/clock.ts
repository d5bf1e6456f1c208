import { TimerHeap } from "./timer-heap.js";

/** Time source and timers, injected so the same code runs in real and virtual time. */
export interface Clock {
  /** Milliseconds; only differences matter. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type TimerHandle = { readonly id: number } | ReturnType<typeof globalThis.setTimeout>;

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => {
    const handle = globalThis.setTimeout(callback, Math.max(0, ms));
    // A pending llmux timer must never keep a process alive on its own.
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/**
 * A clock whose time only moves when told to. `advance(ms)` fires due timers in
 * order and lets promise callbacks run between them, so async code driven by
 * timers (fake engines, the trace simulator) runs deterministically and fast.
 */
export class VirtualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new TimerHeap();
  readonly #turns: number;

  /**
   * `settleTurns`: macrotask turns let run around each timer. Code that only
   * chains promises (the trace simulator) settles in one; tests that mix in
   * real I/O keep the default.
   */
  constructor(start = 0, options: { settleTurns?: number } = {}) {
    this.#now = start;
    this.#turns = options.settleTurns ?? 3;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.#now + Math.max(0, ms), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number }).id;
    if (id !== undefined) this.#timers.cancel(id);
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Time of the next pending timer, or undefined. */
  nextAt(): number | undefined {
    return this.#timers.peek()?.at;
  }

  /** Let queued promise callbacks run (several macrotask turns). */
  async settle(turns = this.#turns): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Move time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await this.settle();
    for (;;) {
      const timer = this.#popDue(target);
      if (!timer) break;
      this.#now = Math.max(this.#now, timer.at);
      timer.callback();
      await this.settle();
    }
    this.#now = target;
    await this.settle();
  }

  /** Fire the next timer (moving time to it); false when none is pending. */
  async step(): Promise<boolean> {
    await this.settle();
    if (!this.fireNext()) return false;
    await this.settle();
    return true;
  }

  /** Fire the next timer now, synchronously (moving time to it): for code with no promises to settle. False when none is pending. */
  fireNext(): boolean {
    const at = this.nextAt();
    if (at === undefined) return false;
    const timer = this.#popDue(at);
    if (!timer) return false;
    this.#now = Math.max(this.#now, timer.at);
    timer.callback();
    return true;
  }

  #popDue(limit: number): { at: number; callback: () => void } | undefined {
    const next = this.#timers.peek();
    return next !== undefined && next.at <= limit ? this.#timers.pop() : undefined;
  }
}
