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

interface VirtualTimer {
  id: number;
  at: number;
  callback: () => void;
}

/**
 * A clock whose time only moves when told to. `advance(ms)` fires due timers in
 * order and lets promise callbacks run between them, so async code driven by
 * timers (fake engines, the trace simulator) runs deterministically and fast.
 */
export class VirtualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: VirtualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), callback };
    this.#timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number }).id;
    this.#timers = this.#timers.filter((timer) => timer.id !== id);
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Time of the next pending timer, or undefined. */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const timer of this.#timers) if (next === undefined || timer.at < next) next = timer.at;
    return next;
  }

  /** Let queued promise callbacks run (several macrotask turns). */
  async settle(turns = 3): Promise<void> {
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
    const at = this.nextAt();
    if (at === undefined) return false;
    const timer = this.#popDue(at);
    if (!timer) return false;
    this.#now = Math.max(this.#now, timer.at);
    timer.callback();
    await this.settle();
    return true;
  }

  #popDue(limit: number): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.at <= limit && (best === undefined || timer.at < best.at || (timer.at === best.at && timer.id < best.id))) {
        best = timer;
      }
    }
    if (best) this.#timers = this.#timers.filter((timer) => timer !== best);
    return best;
  }
}
