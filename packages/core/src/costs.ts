import type { ExpectedCostsConfig } from "./config/types.js";

/** What each transition is taken to cost (ms) until it is measured. */
export interface CostPriors {
  sleep1: number;
  sleep2: number;
  wake1: number;
  wake2: number;
  coldStart: number;
  stop: number;
}

/** Measured cost of each transition of one model, as exponential moving averages (ms). */
export interface ModelCosts {
  sleepMs: { 1: number | null; 2: number | null };
  wakeMs: { 1: number | null; 2: number | null };
  coldStartMs: number | null;
  stopMs: number | null;
  /** How many samples fed each average, for confidence. */
  samples: number;
  /** Stand-ins for what is not measured yet: the model's `expected_costs` over `COST_PRIORS`. */
  priors: CostPriors;
}

/** Weight of a new sample; 0.3 follows drift within a few switches yet smooths outliers. */
const ALPHA = 0.3;

export function emptyCosts(priors: CostPriors = COST_PRIORS): ModelCosts {
  return { sleepMs: { 1: null, 2: null }, wakeMs: { 1: null, 2: null }, coldStartMs: null, stopMs: null, samples: 0, priors: { ...priors } };
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

/** Prior guesses (ms) used until a cost is measured, unless the config says otherwise; orders of magnitude from the vLLM contract. */
export const COST_PRIORS: Readonly<CostPriors> = { sleep1: 10_000, sleep2: 500, wake1: 1_000, wake2: 5_000, coldStart: 60_000, stop: 2_000 };

/** A model's priors: its `expected_costs` (seconds) where set, `COST_PRIORS` elsewhere. */
export function costPriors(expected: ExpectedCostsConfig): CostPriors {
  const ms = (secs: number | undefined, prior: number) => (secs === undefined ? prior : secs * 1000);
  return {
    sleep1: ms(expected.sleep_secs?.["1"], COST_PRIORS.sleep1),
    sleep2: ms(expected.sleep_secs?.["2"], COST_PRIORS.sleep2),
    wake1: ms(expected.wake_secs?.["1"], COST_PRIORS.wake1),
    wake2: ms(expected.wake_secs?.["2"], COST_PRIORS.wake2),
    coldStart: ms(expected.cold_start_secs, COST_PRIORS.coldStart),
    stop: ms(expected.stop_secs, COST_PRIORS.stop),
  };
}

/** Expected time (ms) to put a model away at `level` (3: stop it): measured, the prior until then. */
export function expectedSleepMs(costs: ModelCosts, level: 1 | 2 | 3): number {
  if (level === 3) return costs.stopMs ?? costs.priors.stop;
  return costs.sleepMs[level] ?? (level === 1 ? costs.priors.sleep1 : costs.priors.sleep2);
}

/** Expected time (ms) to bring a model back from `level` (3: a cold start): measured, the prior until then. */
export function expectedWakeMs(costs: ModelCosts, level: 1 | 2 | 3): number {
  if (level === 3) return costs.coldStartMs ?? costs.priors.coldStart;
  return costs.wakeMs[level] ?? (level === 1 ? costs.priors.wake1 : costs.priors.wake2);
}

export function cloneCosts(costs: ModelCosts): ModelCosts {
  return {
    sleepMs: { ...costs.sleepMs },
    wakeMs: { ...costs.wakeMs },
    coldStartMs: costs.coldStartMs,
    stopMs: costs.stopMs,
    samples: costs.samples,
    priors: { ...costs.priors },
  };
}
