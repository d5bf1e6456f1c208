import type { GpuMemoryReading } from "./gpu-memory.js";

/** Time source for the settle loop; injected so tests run in virtual time. */
export interface SettleClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface SettleOptions {
  /** Pause between two readings (default 500 ms). */
  intervalMs?: number;
  /** Give up waiting for stability after this long and keep the last reading (default 10 s). */
  timeoutMs?: number;
  /** Two consecutive totals within this many MiB count as settled (default 64). */
  toleranceMiB?: number;
  clock?: SettleClock;
  signal?: AbortSignal;
}

export const realClock: SettleClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/**
 * Read GPU memory until two consecutive readings agree. The driver releases
 * memory asynchronously after `/sleep` returns (and the allocator grows in
 * steps after a wake), so one reading right after the call can be stale.
 */
export async function settleGpuMemory(read: () => Promise<GpuMemoryReading>, options: SettleOptions = {}): Promise<GpuMemoryReading> {
  const clock = options.clock ?? realClock;
  const intervalMs = options.intervalMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const toleranceMiB = options.toleranceMiB ?? 64;
  const startedAt = clock.now();
  let previous = await read();
  for (;;) {
    if (clock.now() - startedAt >= timeoutMs) return previous;
    await clock.sleep(intervalMs, options.signal);
    const current = await read();
    if (Math.abs(current.totalMiB - previous.totalMiB) <= toleranceMiB) return current;
    previous = current;
  }
}
