import { seededRandom } from "./generate-trace.js";
import type { TraceRequest } from "./trace.js";

export interface HotSetTraceOptions {
  seed?: number;
  durationSecs?: number;
  /** Mean arrival rate over all models, requests/s. */
  ratePerSec?: number;
  /** Model names; the first is the most popular (weights fall as 1/rank). */
  models: readonly string[];
  /** How many models are in favour at once. */
  hotCount?: number;
  /** Mean length of a period with one hot set, seconds (exponential). */
  periodSecs?: number;
  /** Share of the traffic that goes to the hot set; the rest is a trickle to all models by popularity. */
  dominance?: number;
  minTokens?: number;
  maxTokens?: number;
}

/**
 * Many models, a few in favour at a time: every period (exponential length,
 * mean `periodSecs`) a new hot set of `hotCount` models is drawn by
 * popularity (weights 1/rank), gets `dominance` of the traffic (spread evenly
 * over the set), and the rest trickles to every model by popularity. This is
 * the traffic a fleet of llmux pods sees when each pod has room for one or
 * two models and the set of models in use drifts.
 */
export function hotSetTrace(options: HotSetTraceOptions): TraceRequest[] {
  const { seed = 1, durationSecs = 120, ratePerSec = 20, models, hotCount = 4, periodSecs = 20, dominance = 0.95, minTokens = 20, maxTokens = 120 } = options;
  const random = seededRandom(seed);
  const weights = models.map((_, rank) => 1 / (rank + 1));
  const byPopularity = (pool: readonly number[]): number => {
    let x = random() * pool.reduce((sum, index) => sum + (weights[index] ?? 0), 0);
    for (const index of pool) {
      x -= weights[index] ?? 0;
      if (x < 0) return index;
    }
    return pool[pool.length - 1] ?? 0;
  };
  const drawHotSet = (): number[] => {
    const pool = models.map((_, index) => index);
    const hot: number[] = [];
    while (hot.length < Math.min(hotCount, models.length)) {
      const index = byPopularity(pool);
      hot.push(index);
      pool.splice(pool.indexOf(index), 1);
    }
    return hot;
  };
  const exponential = (mean: number): number => -Math.log(1 - random()) * mean;
  const all = models.map((_, index) => index);
  const requests: TraceRequest[] = [];
  let hot = drawHotSet();
  let periodEnd = exponential(periodSecs);
  for (let t = exponential(1 / ratePerSec); t < durationSecs; t += exponential(1 / ratePerSec)) {
    while (t >= periodEnd) {
      hot = drawHotSet();
      periodEnd += exponential(periodSecs);
    }
    const index = random() < dominance ? (hot[Math.floor(random() * hot.length)] ?? 0) : byPopularity(all);
    requests.push({ t: Math.round(t * 1000) / 1000, model: models[index] ?? "", tokens: minTokens + Math.floor(random() * (maxTokens - minTokens)) });
  }
  return requests;
}
