import { estimateMs } from "./admission.js";
import { OverloadedError } from "./errors.js";
import type { MuxState } from "./mux-state.js";
import type { Slot } from "./slot.js";

/**
 * A new request for `slot` that would pass its model's or llmux's
 * `max_queue` is answered at once (429) rather than after
 * `request_timeout_secs`: the requests already waiting keep their place.
 * `Retry-After` is the time the queue ahead needs at the measured service
 * time, `max_concurrency` at once.
 */
export function overloadOf(mux: MuxState, slot: Slot): OverloadedError | undefined {
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
