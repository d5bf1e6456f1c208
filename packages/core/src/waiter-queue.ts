import type { Waiter } from "./slot.js";

/**
 * The requests waiting for one model, oldest first, with their arrival times
 * kept alongside, so the policy's view reads the queue without copying it
 * (a copy per decision made a 30k-request trace quadratic).
 */
export class WaiterQueue {
  #items: Waiter[] = [];
  #arrivals: number[] = [];

  get length(): number {
    return this.#items.length;
  }

  /**
   * Arrival times, oldest first; read-only, and only valid until the next
   * change. A paused request put back at the head counts from its pause (no
   * later than the head's arrival): the policy's turns are measured from there,
   * or a model left with paused requests would be due at once and switched
   * back and forth.
   */
  get arrivals(): readonly number[] {
    return this.#arrivals;
  }

  at(index: number): Waiter | undefined {
    return this.#items[index];
  }

  [Symbol.iterator](): Iterator<Waiter> {
    return this.#items[Symbol.iterator]();
  }

  push(waiter: Waiter): void {
    this.#items.push(waiter);
    this.#arrivals.push(waiter.arrivedAt);
  }

  /** Put a waiter first: a paused request goes back to the head of its queue. */
  unshift(waiter: Waiter): void {
    this.#items.unshift(waiter);
    const since = waiter.resume?.pausedAt ?? waiter.arrivedAt;
    this.#arrivals.unshift(Math.min(since, this.#arrivals[0] ?? since));
  }

  /** Remove one waiter; false when it is not queued. */
  remove(waiter: Waiter): boolean {
    const index = this.#items.indexOf(waiter);
    if (index === -1) return false;
    this.#items.splice(index, 1);
    this.#arrivals.splice(index, 1);
    return true;
  }

  /** Remove and return the first `count` waiters. */
  takeFirst(count: number): Waiter[] {
    this.#arrivals.splice(0, count);
    return this.#items.splice(0, count);
  }

  /** Remove and return the waiters at `indices` (ascending). */
  takeAt(indices: readonly number[]): Waiter[] {
    const taken: Waiter[] = [];
    for (let i = indices.length - 1; i >= 0; i--) {
      const index = indices[i] as number;
      taken.push(this.#items[index] as Waiter);
      this.#items.splice(index, 1);
      this.#arrivals.splice(index, 1);
    }
    return taken.reverse();
  }
}
