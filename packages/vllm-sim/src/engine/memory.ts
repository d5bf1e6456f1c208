/** Per-GPU memory of one simulated server, in MiB, as a pure function of its state. */
export interface MemoryModel {
  /** MiB of one GPU: `gpu_memory_utilization × total`. */
  awakeMib: number;
  weightsMib: number;
  contextMib: number;
  /** Sleep frees nothing: `--sim-broken-sleep` (vLLM 0.14 #32714) or no `--enable-sleep-mode`. */
  sleepFreesNothing: boolean;
}

export function memoryModel(options: {
  utilization: number;
  totalMib: number;
  weightsMib: number;
  contextMib: number;
  sleepFreesNothing: boolean;
}): MemoryModel {
  return {
    awakeMib: Math.round(options.utilization * options.totalMib),
    weightsMib: options.weightsMib,
    contextMib: options.contextMib,
    sleepFreesNothing: options.sleepFreesNothing,
  };
}

/** MiB the KV cache pool takes: what is left of the fraction after weights and context. */
export function kvCacheMib(model: MemoryModel): number {
  return Math.max(0, model.awakeMib - model.weightsMib - model.contextMib);
}

/** MiB used per GPU given which tags are asleep. */
export function usedMib(model: MemoryModel, sleepingTags: ReadonlySet<string>): number {
  if (sleepingTags.size === 0 || model.sleepFreesNothing) return model.awakeMib;
  let used = model.contextMib;
  if (!sleepingTags.has("weights")) used += model.weightsMib;
  if (!sleepingTags.has("kv_cache")) used += kvCacheMib(model);
  return Math.min(used, model.awakeMib);
}
