import type { LlmuxConfig } from "./types.js";

/**
 * Warnings about a valid config that will misbehave at run time: models that
 * can never fit, and sleepers' reserves that would make a start-up fail
 * (vLLM refuses to start when less than its fraction of the card is free).
 */
export function checkConfig(config: LlmuxConfig): string[] {
  const warnings: string[] = [];
  const reserve = config.gpu.sleep_reserve_gib / config.gpu.memory_gib;
  const entries = Object.entries(config.models);
  for (const [name, model] of entries) {
    if (model.gpu_memory_utilization > 1) {
      warnings.push(`models["${name}"] asks for more than a whole GPU and can never start.`);
      continue;
    }
    for (const gpu of model.gpus) {
      const sleepers = entries.filter(([other, otherModel]) => other !== name && otherModel.gpus.includes(gpu) && otherModel.sleep_level !== 3);
      const needed = model.gpu_memory_utilization + sleepers.length * reserve;
      if (sleepers.length > 0 && needed > 1 + 1e-9) {
        const alone = model.gpu_memory_utilization + reserve;
        warnings.push(
          `models["${name}"] needs ${(model.gpu_memory_utilization * 100).toFixed(0)}% of GPU ${gpu}, but ${sleepers.length} sleeping model(s) there keep ${(sleepers.length * config.gpu.sleep_reserve_gib).toFixed(1)} GiB; ` +
            (alone > 1 ? "it cannot start while any other model sleeps on that GPU" : "llmux will stop sleepers (level 3) to make room, which makes their next wake a cold start") +
            "; lower gpu_memory_utilization or use sleep_level 3 for some models.",
        );
      }
    }
    if (model.gpus.some((gpu) => gpu < 0)) warnings.push(`models["${name}"] names a negative GPU index.`);
  }
  return warnings;
}
