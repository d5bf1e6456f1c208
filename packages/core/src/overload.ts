import { estimateMs } from "./admission.js";
import { OverloadedError } from "./errors.js";
import type { MuxState } from "./mux-state.js";
import type { Slot, Waiter } from "./slot.js";
import { estimateWait } from "./wait-estimate.js";

/** What admission says of a new request: refused (`error`), or let in with the wait it was promised (`promisedMs`, with `policy.overload_refusal` on). */
export interface OverloadVerdict {
  error?: OverloadedError;
  promisedMs?: number;
  /** The plan's own wait for it (ms), without the measured error: what admission compares with the real wait. */
  plannedMs?: number;
}

/**
 * A new request for `slot` is answered at once (429) rather than after
 * `request_timeout_secs` when it would pass its model's or llmux's
 * `max_queue`, or (`policy.overload_refusal`) when its planned wait
 * exceeds what it may wait, or letting it in would make a request already
 * queued go in later than it was promised: the requests already waiting
 * keep their place and their promise. A first request whose refusal could lock its model out
 * (`WaitEstimate.mustJoin`) always joins.
 */
export function overloadOf(mux: MuxState, slot: Slot, now: number, deadline: number | undefined, maxTokens?: number): OverloadVerdict {
  const capped = queueCapOverload(mux, slot);
  return capped ? { error: capped } : boundOverload(mux, slot, now, deadline, maxTokens);
}

/**
 * `Retry-After` for a queue cap: the time the queue ahead needs at the
 * measured service time, `max_concurrency` at once.
 */
function queueCapOverload(mux: MuxState, slot: Slot): OverloadedError | undefined {
  const modelCap = slot.config.max_queue;
  const globalCap = mux.config.policy.max_queue;
  const overModel = modelCap !== undefined && slot.waiters.length >= modelCap;
  let overGlobal = false;
  if (globalCap !== undefined) {
    let waiting = 0;
    for (const other of mux.slots.values()) waiting += other.waiters.length;
    overGlobal = waiting >= globalCap;
  }
  if (!overModel && !overGlobal) return undefined;
  const rounds = Math.ceil((slot.waiters.length + 1) / slot.admitLimit);
  const retryAfterSecs = Math.max(1, Math.ceil((rounds * estimateMs(slot, undefined)) / 1000));
  const which = overModel
    ? `model \`${slot.name}\` has ${slot.waiters.length} requests waiting (max_queue ${modelCap})`
    : `llmux has ${globalCap} requests waiting (policy.max_queue)`;
  return new OverloadedError(slot.name, which, retryAfterSecs);
}

/** `Retry-After` for an estimate over the bound: how far over it is, when the queue ahead will have shrunk enough. */
function boundOverload(mux: MuxState, slot: Slot, now: number, deadline: number | undefined, maxTokens: number | undefined): OverloadVerdict {
  if (mux.config.policy.overload_refusal === "off") return {};
  const estimate = estimateWait(mux, slot, now, deadline, maxTokens);
  const overMs = estimate.waitMs - estimate.limitMs;
  // A request let in although planned over the limit would only teach the plan its own excess.
  if (estimate.mustJoin && (overMs > 0 || estimate.collides)) return { promisedMs: estimate.limitMs };
  // Letting it in would push a request already promised past its promise: try again once the queue ahead has gone in.
  if (estimate.collides) {
    const detail = `letting it in would make a request already queued go in later than it was promised (its own estimated wait is ${secs(estimate.waitMs)})`;
    return { error: new OverloadedError(slot.name, detail, Math.max(1, Math.ceil(estimate.waitMs / 1000))) };
  }
  if (overMs <= 0) return { promisedMs: estimate.limitMs, plannedMs: estimate.plannedMs };
  const service = estimate.serviceMs === null ? "" : ` at ${(estimate.serviceMs / 1000).toFixed(1)} s each, ${slot.admitLimit} at once`;
  const detail = `its estimated wait is ${secs(estimate.waitMs)} (${estimate.ahead} requests ahead${service}), over ${estimate.limitName} of ${secs(estimate.limitMs)}`;
  return { error: new OverloadedError(slot.name, detail, Math.max(1, Math.ceil(overMs / 1000))) };
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A queued request leaves the queue at `now` (admitted, or timed out): how much later than planned, for later plans. */
export function recordPlanError(slot: Slot, waiter: Waiter, now: number): void {
  if (waiter.plannedMs !== undefined) slot.service.recordPlanError(now - waiter.arrivedAt - waiter.plannedMs, now);
}
