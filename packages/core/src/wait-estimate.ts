import type { MuxState } from "./mux-state.js";
import { evictionLevel } from "./reconfigure.js";
import type { Slot } from "./slot.js";

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
 * How long a new request for `slot` will wait, built from measurements only:
 * a term that has not been measured yet counts as 0, so a cold llmux never
 * refuses on a guess. The larger of two estimates:
 *
 * - the pace of its model's queue: a line fitted to recent queued
 *   requests' waits against the places they joined the queue at, read at
 *   its own place;
 * - the sum of what is known ahead of it: its model's queue ahead (the
 *   requests queued and, when up, in flight, past the admission limit, at
 *   the mean measured lease time, `max_concurrency` at once); the other
 *   models' turns meanwhile (every policy alternates between the models
 *   with work, so each adds its own queue's time, up to as much as this
 *   one's); when its model is not awake, the rest of a switch to it in
 *   progress or its measured bring-up, plus the measured bring-up of every
 *   model whose oldest request is older (every policy serves those first).
 */
export function estimateWait(mux: MuxState, slot: Slot, now: number, deadline: number | undefined): WaitEstimate {
  const serviceMs = slot.service.heldMean();
  const ahead = slot.waiters.length + (isUp(slot) ? slot.leases.size : 0);
  const workMs = queueWorkMs(slot, ahead + 1);
  // Every policy alternates between the models with work (oldest request first): while the queue ahead is
  // served, each other model with work gets its turns too, up to as much as this one's.
  let othersMs = 0;
  for (const other of mux.slots.values()) {
    if (other !== slot) othersMs += Math.min(workMs, queueWorkMs(other, other.waiters.length + (isUp(other) ? other.leases.size : 0)));
  }
  let turnsMs = 0;
  if (slot.state !== "awake") {
    const oldest = slot.waiters.at(0)?.arrivedAt ?? now;
    turnsMs += switchLeftMs(slot, now);
    for (const other of mux.slots.values()) {
      if (other === slot || other.state === "awake" || other.waiters.length === 0) continue;
      if ((other.waiters.at(0)?.arrivedAt ?? now) < oldest) turnsMs += switchLeftMs(other, now);
    }
  }
  // The queue's measured pace holds what the parts above leave out (drains, turns that end early or late).
  const paced = slot.service.queueWaitAt(slot.waiters.length + 1) ?? 0;
  const waitMs = Math.max(workMs + othersMs + turnsMs, paced);
  const timeoutMs = Math.min(mux.config.policy.request_timeout_secs * 1000, deadline === undefined ? Infinity : deadline - now);
  const policyBound = boundMs(mux, slot, turnsMs);
  if (mux.config.policy.overload_refusal === "bound" && policyBound !== null && policyBound < timeoutMs) {
    return { waitMs, ahead, serviceMs, limitMs: policyBound, limitName: `${mux.policy.name}'s bound` };
  }
  return { waitMs, ahead, serviceMs, limitMs: timeoutMs, limitName: "request_timeout_secs" };
}

/** Time (ms) `slot` needs before the `position`-th request in its queue and engine goes in: the rounds past the admission limit at the mean measured lease time (0 before it is measured). */
function queueWorkMs(slot: Slot, position: number): number {
  const serviceMs = slot.service.heldMean();
  if (serviceMs === null) return 0;
  return (Math.max(0, position - slot.admitLimit) / slot.admitLimit) * serviceMs;
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
