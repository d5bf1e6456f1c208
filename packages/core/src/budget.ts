import { holdsFullMemory } from "./model-state.js";
import type { Eviction, PolicyModelView, PolicyView } from "./policy.js";

const EPSILON = 1e-9;

/** Share of `gpu` a model holds in its current state. */
export function usageOf(model: PolicyModelView, gpu: number, reserveFraction: number): number {
  if (!model.gpus.includes(gpu)) return 0;
  if (holdsFullMemory(model.state)) return model.fraction;
  if (model.state === "asleep") return reserveFraction;
  return 0;
}

/** Share a model will hold after an eviction. */
function usageAfter(model: PolicyModelView, eviction: Eviction | undefined, reserveFraction: number, gpu: number): number {
  if (!model.gpus.includes(gpu)) return 0;
  if (!eviction) return usageOf(model, gpu, reserveFraction);
  if (eviction.action === "stop" || model.sleepLevel === 3) return 0;
  return reserveFraction;
}

/** True when `target` fits on all its GPUs once `evictions` are done. */
export function fitsAfter(view: PolicyView, target: PolicyModelView, evictions: readonly Eviction[]): boolean {
  for (const gpu of target.gpus) {
    let used = 0;
    for (const model of view.models) {
      if (model.name === target.name) continue;
      used += usageAfter(
        model,
        evictions.find((e) => e.model === model.name),
        view.reserveFraction,
        gpu,
      );
    }
    if (used + target.fraction > 1 + EPSILON) return false;
  }
  return true;
}

/** True when `target` could fit with every other model stopped. */
export function canEverFit(target: PolicyModelView): boolean {
  return target.fraction <= 1 + EPSILON;
}

/**
 * The default way to make room for `target`: sleep awake models sharing its
 * GPUs (lowest priority first, then idle ones, the fewest in-flight, the
 * longest awake; never a pinned one),
 * then stop sleepers whose reserves still block it. Returns null when room
 * can only be made by touching a busy model or a locked GPU (wait).
 */
export function planEvictions(view: PolicyView, target: PolicyModelView): Eviction[] | null {
  const evictions: Eviction[] = [];
  if (fitsAfter(view, target, evictions)) return checkLocks(view, target, evictions);
  const sharing = view.models.filter((model) => model.name !== target.name && !model.pinned && model.gpus.some((gpu) => target.gpus.includes(gpu)));
  const awake = sharing
    .filter((model) => model.state === "awake" && !model.busy)
    .sort(
      (a, b) =>
        a.priority - b.priority ||
        Number(a.queue.length > 0 || a.inFlight > 0) - Number(b.queue.length > 0 || b.inFlight > 0) ||
        a.inFlight - b.inFlight ||
        (a.awakeSince ?? 0) - (b.awakeSince ?? 0),
    );
  for (const model of awake) {
    evictions.push({ model: model.name, action: model.sleepLevel === 3 ? "stop" : "sleep" });
    if (fitsAfter(view, target, evictions)) return checkLocks(view, target, evictions);
  }
  const sleepers = sharing.filter((model) => model.state === "asleep" && !model.busy).sort((a, b) => a.priority - b.priority);
  for (const model of sleepers) {
    evictions.push({ model: model.name, action: "stop" });
    if (fitsAfter(view, target, evictions)) return checkLocks(view, target, evictions);
  }
  return null;
}

function checkLocks(view: PolicyView, target: PolicyModelView, evictions: Eviction[]): Eviction[] | null {
  const touched = new Set<number>(target.gpus);
  for (const eviction of evictions) for (const gpu of view.models.find((m) => m.name === eviction.model)?.gpus ?? []) touched.add(gpu);
  for (const gpu of touched) if (view.lockedGpus.has(gpu)) return null;
  return evictions;
}
