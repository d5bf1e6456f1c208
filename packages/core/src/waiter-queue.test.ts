import { describe, expect, it } from "vitest";
import type { Waiter } from "./slot.js";
import { WaiterQueue } from "./waiter-queue.js";

const waiter = (arrivedAt: number, pausedAt?: number): Waiter => ({
  model: "a",
  arrivedAt,
  maxTokens: undefined,
  resume: pausedAt === undefined ? undefined : { pausedAt, preemptions: 1 },
  resolve: () => {},
  reject: () => {},
  timer: undefined,
  detach: () => {},
});

describe("WaiterQueue", () => {
  it("counts a paused request put back at the head from its pause, never later than the head", () => {
    const queue = new WaiterQueue();
    queue.push(waiter(50_000));
    queue.unshift(waiter(10_000, 40_000));
    expect(queue.arrivals).toEqual([40_000, 50_000]);
    queue.unshift(waiter(5_000, 60_000));
    expect(queue.arrivals).toEqual([40_000, 40_000, 50_000]);
    expect(queue.at(0)?.arrivedAt).toBe(5_000);
  });

  it("keeps arrival times for requests that were never paused", () => {
    const queue = new WaiterQueue();
    queue.push(waiter(1_000));
    queue.unshift(waiter(500));
    expect(queue.arrivals).toEqual([500, 1_000]);
  });
});
