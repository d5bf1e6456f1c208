import { describe, expect, it } from "vitest";
import type { GpuMemoryReading } from "./gpu-memory.js";
import { settleGpuMemory } from "./settle.js";
import type { SettleClock } from "./settle.js";

function virtualClock(): SettleClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const reading = (totalMiB: number): GpuMemoryReading => ({ perGpuMiB: [totalMiB], totalMiB });

function sequence(values: number[]): () => Promise<GpuMemoryReading> {
  let index = 0;
  return async () => reading(values[Math.min(index++, values.length - 1)]!);
}

describe("settleGpuMemory", () => {
  it("returns once two consecutive readings agree", async () => {
    const clock = virtualClock();
    const result = await settleGpuMemory(sequence([40000, 20000, 1300, 1300, 900]), { clock, intervalMs: 100 });
    expect(result.totalMiB).toBe(1300);
    expect(clock.slept).toEqual([100, 100, 100]);
  });

  it("treats differences within the tolerance as settled", async () => {
    const clock = virtualClock();
    const result = await settleGpuMemory(sequence([1300, 1340]), { clock, toleranceMiB: 64 });
    expect(result.totalMiB).toBe(1340);
  });

  it("keeps the last reading when memory never settles before the timeout", async () => {
    const clock = virtualClock();
    const values = Array.from({ length: 100 }, (_, index) => 50000 - index * 1000);
    const result = await settleGpuMemory(sequence(values), { clock, intervalMs: 500, timeoutMs: 2000 });
    expect(clock.slept).toHaveLength(4);
    expect(result.totalMiB).toBe(46000);
  });
});
