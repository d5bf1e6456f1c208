import type { LlmuxConfig } from "./types.js";

/**
 * Warnings about a valid config that will misbehave at run time: sleepers'
 * reserves that would make a model's start-up fail (vLLM refuses to start when
 * less than its fraction of the card is free), so llmux must stop sleepers
 * (or cannot start the model at all while any other model sleeps there).
 */
export function checkConfig(config: LlmuxConfig): string[] {
  const warnings: string[] = [];
  const reserve = config.gpu.sleep_reserve_gib / config.gpu.memory_gib;
  const entries = Object.entries(config.models);
  for (const [name, model] of entries) {
    for (const gpu of model.gpus) {
      const sleepers = entries.filter(([other, otherModel]) => other !== name && otherModel.gpus.includes(gpu) && otherModel.sleep_level !== 3);
      const needed = model.gpu_memory_utilization + sleepers.length * reserve;
      if (sleepers.length > 0 && needed > 1 + 1e-9) {
        const alone = model.gpu_memory_utilization + reserve;
        warnings.push(
          `models["${name}"] needs ${(model.gpu_memory_utilization * 100).toFixed(0)}% of GPU ${gpu}, but ${sleepers.length} sleeping model(s) there keep ${(sleepers.length * config.gpu.sleep_reserve_gib).toFixed(1)} GiB; ` +
            (alone > 1
              ? "it cannot start while any other model sleeps on that GPU"
              : "llmux will stop sleepers (level 3) to make room, which makes their next wake a cold start") +
            "; lower gpu_memory_utilization or use sleep_level 3 for some models.",
        );
      }
    }
  }
  return warnings;
}
