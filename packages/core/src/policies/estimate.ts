import { expectedSleepMs, expectedWakeMs } from "../costs.js";
import type { Eviction, PolicyModelView, PolicyView } from "../policy.js";

/** Expected time (ms) to bring `model` up from its current state, from measured costs (priors until measured). */
export function bringUpCostMs(model: PolicyModelView): number {
  return expectedWakeMs(model.costs, model.state === "asleep" && model.asleepLevel !== null ? model.asleepLevel : 3);
}

/** Expected time (ms) to carry out one eviction (evictions run in parallel: take the max). */
export function evictionCostMs(model: PolicyModelView, eviction: Eviction): number {
  return expectedSleepMs(model.costs, eviction.action === "stop" ? 3 : model.sleepLevel);
}

/** Expected time (ms) to wake `model` again after `eviction` (a stop means a cold start). */
export function wakeCostMs(model: PolicyModelView, eviction: Eviction): number {
  return expectedWakeMs(model.costs, eviction.action === "stop" ? 3 : model.sleepLevel);
}

/** Expected duration of a switch to `target` with `evictions`, excluding drain. */
export function switchCostMs(view: PolicyView, target: PolicyModelView, evictions: readonly Eviction[]): number {
  let evict = 0;
  for (const eviction of evictions) {
    const model = view.models.find((m) => m.name === eviction.model);
    if (model) evict = Math.max(evict, evictionCostMs(model, eviction));
  }
  return evict + bringUpCostMs(target);
}

/** If `min_active_secs` protects one of the evictees, when it stops doing so. */
export function minActiveUntil(view: PolicyView, evictions: readonly Eviction[]): number | undefined {
  const minActiveMs = view.config.min_active_secs * 1000;
  if (minActiveMs <= 0) return undefined;
  let until: number | undefined;
  for (const eviction of evictions) {
    const model = view.models.find((m) => m.name === eviction.model);
    if (model?.state !== "awake" || model.awakeSince === null) continue;
    const end = model.awakeSince + minActiveMs;
    if (end > view.now && (until === undefined || end > until)) until = end;
  }
  return until;
}
