import type { MuxState } from "./mux-state.js";
import { evictionLevel } from "./reconfigure.js";
import type { Slot } from "./slot.js";
import { plannedWaitMs } from "./wait-plan.js";

/** A new request's expected wait and the most it may wait, both in ms. */
export interface WaitEstimate {
  waitMs: number;
  /** Requests ahead of it in its model's queue and engine. */
  ahead: number;
  /** Mean measured lease time it was estimated with (ms), null before enough leases. */
  serviceMs: number | null;
  /** The bound it is held to: the policy's (`bound`) or its time budget (`timeout`). */
  limitMs: number;
  limitName: string;
}

/**
 * How long a new request for `slot` will wait, and the most it may wait.
 * The wait is planned (`plannedWaitMs`): the queues llmux holds now served
 * in turns, each request at its own expected generation time, the ones in
 * flight to their expected ends, every switch at its measured cost (the
 * priors until measured). It counts what a sum of queue lengths forgets:
 * the awake model's turn running to its end, the requests that wait for
 * their model's next turn, the other models' turns and the switches between.
 */
export function estimateWait(mux: MuxState, slot: Slot, now: number, deadline: number | undefined, maxTokens?: number): WaitEstimate {
  const serviceMs = slot.service.heldMean();
  const ahead = slot.waiters.length + (isUp(slot) ? slot.leases.size : 0);
  let turnsMs = 0;
  if (slot.state !== "awake") {
    const oldest = slot.waiters.at(0)?.arrivedAt ?? now;
    turnsMs += switchLeftMs(slot, now);
    for (const other of mux.slots.values()) {
      if (other === slot || other.state === "awake" || other.waiters.length === 0) continue;
      if ((other.waiters.at(0)?.arrivedAt ?? now) < oldest) turnsMs += switchLeftMs(other, now);
    }
  }
  const timeoutMs = Math.min(mux.config.policy.request_timeout_secs * 1000, deadline === undefined ? Infinity : deadline - now);
  const policyBound = boundMs(mux, slot, turnsMs);
  const bounded = mux.config.policy.overload_refusal === "bound" && policyBound !== null && policyBound < timeoutMs;
  const limitMs = bounded ? policyBound : timeoutMs;
  const waitMs = plannedWaitMs(mux, slot, maxTokens, now, limitMs);
  return { waitMs, ahead, serviceMs, limitMs, limitName: bounded ? `${mux.policy.name}'s bound` : "request_timeout_secs" };
}

function isUp(slot: Slot): boolean {
  return slot.state === "awake" || slot.state === "draining";
}

/**
 * The wait the policy promises a request that arrives now (ms), or null when
 * it promises none (`fifo` and custom policies). `time_slice` and
 * `cost_aware`: `max_wait_secs`, plus, for a model that is not awake, the
 * switches to it and to the models served before it and the measured drain
 * (90th percentile) of an awake model it may replace.
 */
function boundMs(mux: MuxState, slot: Slot, turnsMs: number): number | null {
  const policy = mux.policy.name;
  if (policy !== "time_slice" && policy !== "cost_aware") return null;
  let drainMs = 0;
  if (slot.state !== "awake") {
    for (const other of mux.slots.values()) {
      if (other !== slot && other.state === "awake") drainMs = Math.max(drainMs, other.service.drain()?.p90Ms ?? 0);
    }
  }
  return mux.config.policy.max_wait_secs * 1000 + turnsMs + drainMs;
}

/** What is left of bringing `slot` up (ms): measured costs only, 0 where none was measured. */
function switchLeftMs(slot: Slot, now: number): number {
  const costs = slot.costs;
  switch (slot.state) {
    case "starting":
      return Math.max(0, (costs.coldStartMs ?? 0) - (now - slot.stateSince));
    case "waking":
      return Math.max(0, (costs.wakeMs[slot.asleepLevel ?? 1] ?? 0) - (now - slot.stateSince));
    case "asleep":
      return slot.asleepLevel === null ? 0 : (costs.wakeMs[slot.asleepLevel] ?? 0);
    case "stopped":
      return costs.coldStartMs ?? 0;
    default: {
      // Draining, sleeping or stopping on its way down: it comes back up after that.
      const level = evictionLevel(slot, slot.state === "stopping");
      return (level === 3 ? costs.coldStartMs : costs.wakeMs[level]) ?? 0;
    }
  }
}
