import { RequestPausedError } from "./errors.js";
import type { MuxState } from "./mux-state.js";
import type { Slot } from "./slot.js";

/**
 * Pause the preemptible requests still running on `slot` after `drainMs` of a
 * drain: their holders keep what was generated and resume it as a
 * continuation from the head of the queue. Returns their request ids.
 * Non-preemptible requests (and those at `max_preemptions`) are left to drain.
 */
export function pausePreemptible(mux: MuxState, slot: Slot, drainMs: number): string[] {
  const paused = [...slot.leases].filter((lease) => lease.preemptible);
  if (paused.length === 0) return [];
  // The holders close their upstream requests, and vLLM notices a closed request
  // only at a later step: the sleep must confirm that nothing runs (vLLM #28714).
  slot.preempted = true;
  const requests = paused.map((lease, index) => lease.requestId ?? `${slot.name}#${index + 1}`);
  mux.emit({ type: "paused", model: slot.name, at: mux.clock.now(), requests, drainMs });
  const error = new RequestPausedError(slot.name, Math.round(drainMs) / 1000);
  for (const lease of paused) lease.revoke(error);
  return requests;
}
