/** Measured cost of each transition of one model, as exponential moving averages (ms). */
export interface ModelCosts {
  sleepMs: { 1: number | null; 2: number | null };
  wakeMs: { 1: number | null; 2: number | null };
  coldStartMs: number | null;
  stopMs: number | null;
  /** How many samples fed each average, for confidence. */
  samples: number;
}

/** Weight of a new sample; 0.3 follows drift within a few switches yet smooths outliers. */
const ALPHA = 0.3;

export function emptyCosts(): ModelCosts {
  return { sleepMs: { 1: null, 2: null }, wakeMs: { 1: null, 2: null }, coldStartMs: null, stopMs: null, samples: 0 };
}

export function average(previous: number | null, sample: number): number {
  return previous === null ? sample : previous + ALPHA * (sample - previous);
}

export type CostKind = "sleep1" | "sleep2" | "wake1" | "wake2" | "coldStart" | "stop";

export function recordCost(costs: ModelCosts, kind: CostKind, ms: number): void {
  costs.samples++;
  switch (kind) {
    case "sleep1":
      costs.sleepMs[1] = average(costs.sleepMs[1], ms);
      break;
    case "sleep2":
      costs.sleepMs[2] = average(costs.sleepMs[2], ms);
      break;
    case "wake1":
      costs.wakeMs[1] = average(costs.wakeMs[1], ms);
      break;
    case "wake2":
      costs.wakeMs[2] = average(costs.wakeMs[2], ms);
      break;
    case "coldStart":
      costs.coldStartMs = average(costs.coldStartMs, ms);
      break;
    case "stop":
      costs.stopMs = average(costs.stopMs, ms);
      break;
  }
}

/** Prior guesses (ms) used until a cost is measured; orders of magnitude from the vLLM contract. */
export const COST_PRIORS = { sleep1: 10_000, sleep2: 500, wake1: 1_000, wake2: 5_000, coldStart: 60_000, stop: 2_000 } as const;

/** Expected time (ms) to put a model away at `level` (3: stop it): measured, the prior until then. */
export function expectedSleepMs(costs: ModelCosts, level: 1 | 2 | 3): number {
  if (level === 3) return costs.stopMs ?? COST_PRIORS.stop;
  return costs.sleepMs[level] ?? (level === 1 ? COST_PRIORS.sleep1 : COST_PRIORS.sleep2);
}

/** Expected time (ms) to bring a model back from `level` (3: a cold start): measured, the prior until then. */
export function expectedWakeMs(costs: ModelCosts, level: 1 | 2 | 3): number {
  if (level === 3) return costs.coldStartMs ?? COST_PRIORS.coldStart;
  return costs.wakeMs[level] ?? (level === 1 ? COST_PRIORS.wake1 : COST_PRIORS.wake2);
}

export function cloneCosts(costs: ModelCosts): ModelCosts {
  return { sleepMs: { ...costs.sleepMs }, wakeMs: { ...costs.wakeMs }, coldStartMs: costs.coldStartMs, stopMs: costs.stopMs, samples: costs.samples };
}
