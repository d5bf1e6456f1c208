import type { MuxState } from "./mux-state.js";
import type { Slot } from "./slot.js";
import { awayLeftMs, slotBringUpMs, slotSleepMs } from "./plan-turns.js";
import { plannedWaitMs } from "./wait-plan.js";

/** A new request's expected wait and the most it may wait, both in ms. */
export interface WaitEstimate {
  /** The plan's wait plus its measured error (its model's recent queued requests). */
  waitMs: number;
  /** The plan's wait alone. */
  plannedMs: number;
  /** Requests ahead of it in its model's queue and engine. */
  ahead: number;
  /** Mean measured lease time (ms), null before enough leases: for the message. */
  serviceMs: number | null;
  /** The bound it is held to: the policy's (`bound`) or its time budget (`timeout`). */
  limitMs: number;
  limitName: string;
  /**
   * Could refusing it lock its model out? True for the first request of a
   * model that is not up when `max_wait_secs` plus its switch alone reach
   * the limit: while another model is busy, no request for it could ever
   * be planned within the limit, so this one joins as the reason for its
   * model's next turn.
   */
  mustJoin: boolean;
  /** Would letting it in make a queued request go in later than it was promised (`PlannedWait.collides`)? */
  collides: boolean;
}

/**
 * How long a new request for `slot` will wait, and the most it may wait.
 * The wait is planned (`plannedWaitMs`): the queues llmux holds now served
 * in turns, each request at the longest it may generate, the ones in
 * flight to their latest ends, every switch and drain at its measured
 * cost (the priors until measured), the requests expected to arrive for
 * the models served first. `time_slice` and `cost_aware` hold it to their
 * documented bound, evaluated on what llmux holds now: `max_wait_secs` +
 * K × (the longest generation + the longest switch), over the K models with
 * work. `fifo` and custom policies promise nothing beyond
 * `request_timeout_secs` (or the request's own deadline, when shorter).
 */
export function estimateWait(mux: MuxState, slot: Slot, now: number, deadline: number | undefined, maxTokens?: number): WaitEstimate {
  const ahead = slot.waiters.length + (isUp(slot) ? slot.leases.size : 0);
  const timeoutMs = Math.min(mux.config.policy.request_timeout_secs * 1000, deadline === undefined ? Infinity : deadline - now);
  const plan = plannedWaitMs(mux, slot, maxTokens, now, timeoutMs);
  const turnBased = mux.policy.name === "time_slice" || mux.policy.name === "cost_aware";
  const policyBound = turnBased ? mux.config.policy.max_wait_secs * 1000 + plan.roundMs : Infinity;
  const bounded = mux.config.policy.overload_refusal === "bound" && policyBound < timeoutMs;
  const limitMs = bounded ? policyBound : timeoutMs;
  return {
    waitMs: plan.waitMs + slot.service.planErrorMs(now - limitMs),
    plannedMs: plan.waitMs,
    ahead,
    serviceMs: slot.service.heldMean(),
    limitMs,
    limitName: bounded ? `${mux.policy.name}'s bound` : "request_timeout_secs",
    collides: plan.collides,
    mustJoin: slot.waiters.length === 0 && slot.state !== "awake" && mux.config.policy.max_wait_secs * 1000 + switchToMs(mux, slot, now) >= limitMs,
  };
}

function isUp(slot: Slot): boolean {
  return slot.state === "awake" || slot.state === "draining";
}

/** A switch to `slot`: the longest sleep of a model up now (or what is left of one under way), then its bring-up (measured costs, priors until then). */
function switchToMs(mux: MuxState, slot: Slot, now: number): number {
  let sleepMs = 0;
  for (const other of mux.slots.values()) if (other !== slot) sleepMs = Math.max(sleepMs, isUp(other) ? slotSleepMs(other) : awayLeftMs(other, now));
  return sleepMs + slotBringUpMs(slot, slot.state === "stopped" || slot.state === "starting");
}
