import type { LlmuxConfig } from "./config/types.js";
import { planEvictions, usageOf } from "./budget.js";
import type { MuxState } from "./mux-state.js";
import type { PolicyModelView, PolicyView } from "./policy.js";
import type { Slot } from "./slot.js";

/** GPUs llmux may place models on: `gpu.count`, else enough for every fixed index and tensor-parallel size. */
export function gpuCount(config: LlmuxConfig): number {
  if (config.gpu.count !== undefined) return config.gpu.count;
  let count = 1;
  for (const model of Object.values(config.models)) {
    count = Math.max(count, model.tensor_parallel_size);
    if (model.placement === "fixed") for (const gpu of model.gpus) count = Math.max(count, gpu + 1);
  }
  return count;
}

/** Every way to pick `size` of `count` GPUs, in index order. */
function combinations(count: number, size: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, chosen: number[]): void => {
    if (chosen.length === size) {
      out.push([...chosen]);
      return;
    }
    for (let gpu = start; gpu <= count - (size - chosen.length); gpu++) pick(gpu + 1, [...chosen, gpu]);
  };
  pick(0, []);
  return out;
}

/**
 * The GPUs a stopped auto-placed model should start on: among the sets that
 * can be freed now, the one needing the fewest evictions, then the least used
 * (lowest indices on a tie). When none can be freed now (busy models, locked
 * GPUs), the least used set, so the policy waits for the likeliest one.
 */
export function choosePlacement(view: PolicyView, target: PolicyModelView, count: number, size: number): readonly number[] {
  let best: { gpus: number[]; evictions: number; used: number } | undefined;
  for (const gpus of combinations(count, size)) {
    const candidate = { ...target, gpus };
    const others = view.models.map((model) => (model.name === target.name ? candidate : model));
    const plan = planEvictions({ ...view, models: others }, candidate);
    const evictions = plan === null ? Number.POSITIVE_INFINITY : plan.length;
    let used = 0;
    for (const gpu of gpus) for (const model of view.models) if (model.name !== target.name) used += usageOf(model, gpu, view.reserveFraction);
    if (best === undefined || evictions < best.evictions || (evictions === best.evictions && used < best.used - 1e-9)) best = { gpus, evictions, used };
  }
  return best?.gpus ?? target.gpus;
}

/** Give stopped auto-placed models of `view` their best GPUs (in the view only). */
export function placeInView(mux: MuxState, view: PolicyView & { models: PolicyModelView[] }, wanted?: string): void {
  const count = gpuCount(mux.config);
  if (count <= 1) return;
  for (const [index, model] of view.models.entries()) {
    const slot = mux.slots.get(model.name);
    if (slot?.config.placement !== "auto" || slot.state !== "stopped" || slot.busy) continue;
    if (model.queue.length === 0 && model.name !== wanted) continue;
    const gpus = choosePlacement(view, model, count, slot.config.tensor_parallel_size);
    view.models[index] = { ...model, gpus };
  }
}

/** Before a start: take the GPUs chosen in the view (a stopped auto-placed model only), and say so. */
export function assignPlacement(mux: MuxState, slot: Slot, gpus: readonly number[] | undefined): void {
  if (gpus === undefined || slot.config.placement !== "auto" || slot.state !== "stopped" || gpuCount(mux.config) <= 1) return;
  slot.config = { ...slot.config, gpus: [...gpus] };
  mux.emit({ type: "placed", model: slot.name, at: mux.clock.now(), gpus: [...gpus] });
}
