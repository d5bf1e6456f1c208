import type { Slot, Waiter } from "./slot.js";

/** Requests llmux lets into one vLLM at once when neither `max_concurrency` nor `--max-num-seqs` says otherwise. */
export const DEFAULT_MAX_CONCURRENCY = 256;

/** Output length assumed for a request without `max_tokens` before any lease was measured: vLLM's usual context cap. */
const UNKNOWN_OUTPUT_TOKENS = 4096;

/** How many waiters one admission pass looks at past one that does not fit the plan. */
const SCAN_LIMIT = 256;

/**
 * Expected generation time (ms) of a request for `slot`: its `max_tokens` at
 * the measured decode time per token (the configured rate until measured);
 * without `max_tokens`, the 90th percentile of the output lengths the holders
 * reported at that rate, else of the model's recent lease times.
 */
export function estimateMs(slot: Slot, maxTokens: number | undefined): number {
  return generationMs(slot, maxTokens, false);
}

/**
 * The longest a request for `slot` may generate (ms), what a promise must
 * allow for: as `estimateMs`, with the longest recent output or lease
 * instead of the 90th percentile.
 */
export function longestMs(slot: Slot, maxTokens: number | undefined): number {
  return generationMs(slot, maxTokens, true);
}

function generationMs(slot: Slot, maxTokens: number | undefined, longest: boolean): number {
  const msPerToken = slot.service.msPerToken ?? 1000 / slot.config.decode_tokens_per_sec;
  if (maxTokens !== undefined) return maxTokens * msPerToken;
  const observed = longest ? slot.service.outputTokensMax() : slot.service.outputTokensP90();
  if (observed !== null && slot.service.msPerToken !== null) return observed * msPerToken;
  return (longest ? slot.service.heldMax() : slot.service.heldP90()) ?? UNKNOWN_OUTPUT_TOKENS * msPerToken;
}

/**
 * May `waiter` go into vLLM now? Under the limit, and, once another model is
 * due (`slot.closeAt`), only if it is expected to finish before the planned
 * switch, so the drain ends near the planned time. Requests that waited
 * through the switch that woke this model are its turn's reason and always go.
 * With promises to keep (`keepPromises`), "expected" is the longest it may
 * generate, as the wait plan runs it: one let in at the 90th percentile may
 * run past the switch every promise was planned on.
 */
function fitsPlan(slot: Slot, waiter: Waiter, now: number, keepPromises: boolean): boolean {
  if (slot.closeAt === null) return true;
  if (slot.awakeSince !== null && waiter.arrivedAt < slot.awakeSince) return true;
  return now + (keepPromises ? longestMs : estimateMs)(slot, waiter.maxTokens) <= slot.closeAt;
}

/** Take out of `slot`'s queue, in arrival order, the waiters it may admit now (`keepPromises`: with `policy.overload_refusal` on). */
export function takeAdmissible(slot: Slot, now: number, keepPromises: boolean): Waiter[] {
  const room = slot.admitLimit - slot.leases.size;
  const waiters = slot.waiters;
  if (room <= 0 || waiters.length === 0) return [];
  if (slot.closeAt === null) return waiters.takeFirst(room);
  const chosen: number[] = [];
  let skipped = 0;
  for (let index = 0; index < waiters.length && chosen.length < room && skipped < SCAN_LIMIT; index++) {
    if (fitsPlan(slot, waiters.at(index) as Waiter, now, keepPromises)) chosen.push(index);
    else skipped++;
  }
  return waiters.takeAt(chosen);
}
