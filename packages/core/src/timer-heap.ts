/** One pending timer of a virtual clock. */
export interface HeapTimer {
  id: number;
  at: number;
  callback: () => void;
}

function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}

/**
 * A binary min-heap of timers ordered by (time, creation order), so a trace of
 * tens of thousands of requests costs O(log n) per timer instead of a scan of
 * every pending one. Cancelled timers are dropped lazily when they surface.
 */
export class TimerHeap {
  readonly #items: HeapTimer[] = [];
  /** Ids pushed and neither fired nor cancelled. */
  readonly #live = new Set<number>();
  readonly #cancelled = new Set<number>();

  get size(): number {
    return this.#live.size;
  }

  push(timer: HeapTimer): void {
    this.#live.add(timer.id);
    const items = this.#items;
    items.push(timer);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const up = items[parent] as HeapTimer;
      if (!before(timer, up)) break;
      items[index] = up;
      index = parent;
    }
    items[index] = timer;
  }

  /** Mark a pending timer as cancelled; unknown or fired ids are ignored. */
  cancel(id: number): void {
    if (this.#live.delete(id)) this.#cancelled.add(id);
  }

  /** The earliest live timer, without removing it. */
  peek(): HeapTimer | undefined {
    this.#dropCancelled();
    return this.#items[0];
  }

  /** Remove and return the earliest live timer. */
  pop(): HeapTimer | undefined {
    this.#dropCancelled();
    const top = this.#removeTop();
    if (top) this.#live.delete(top.id);
    return top;
  }

  #dropCancelled(): void {
    for (let top = this.#items[0]; top && this.#cancelled.has(top.id); top = this.#items[0]) {
      this.#cancelled.delete(top.id);
      this.#removeTop();
    }
  }

  #removeTop(): HeapTimer | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && before(items[right] as HeapTimer, items[left] as HeapTimer) ? right : left;
      if (!before(items[child] as HeapTimer, last)) break;
      items[index] = items[child] as HeapTimer;
      index = child;
    }
    items[index] = last;
    return top;
  }
}
