import { seededRandom } from "./generate-trace.js";
import { DEFAULT_SIM_SERVICE, serviceMs } from "./sim-server.js";
import type { TraceRequest } from "./trace.js";

/** The knobs of one member of the trace family. */
export interface FamilyShape {
  /** Models `m0`, `m1`, … */
  models: number;
  /** Zipf exponent of model popularity (0 = equal). */
  zipf: number;
  /** Offered load as a share of what one engine that never switched could serve (1 = saturated). */
  load: number;
  /** 0 = Poisson arrivals with fixed popularity; toward 1, episodes (mean `episodeSecs`) with a random rate and a reshuffled popularity. */
  burstiness: number;
  episodeSecs: number;
  durationSecs: number;
  /** Output length: lognormal with this median and sigma, capped at `maxOutputTokens`. */
  outputMedian: number;
  outputSigma: number;
  maxOutputTokens: number;
  /** Share of requests that carry `max_tokens` (the smallest power of two ≥ 256 that holds the output). */
  maxTokensShare: number;
  /** Share of models that sleep at level 2 (the rest level 1). */
  level2Share: number;
}

/** A generated trace and the sleep level of each of its models. */
export interface FamilyTrace {
  name: string;
  seed: number;
  shape: FamilyShape;
  requests: TraceRequest[];
  sleepLevels: Record<string, 1 | 2>;
}

const BASE: FamilyShape = {
  models: 4,
  zipf: 1,
  load: 0.7,
  burstiness: 0.5,
  episodeSecs: 120,
  durationSecs: 1800,
  outputMedian: 300,
  outputSigma: 1.2,
  maxOutputTokens: 4096,
  maxTokensShare: 0.7,
  level2Share: 0.25,
};

/**
 * The family's named members: busy ones (load between half of capacity and
 * capacity, where switching is what costs) and light ones.
 */
export const TRACE_SHAPES: Record<string, Partial<FamilyShape>> = {
  "zipf-six": { models: 6, zipf: 1.1, load: 0.7 },
  "two-equal-saturated": { models: 2, zipf: 0, load: 0.95, burstiness: 0.2 },
  "chat-plus-batch": { models: 3, zipf: 2, load: 0.6, burstiness: 0.9, episodeSecs: 90 },
  "long-tails": { models: 4, zipf: 1, load: 0.75, outputMedian: 600, outputSigma: 1.5 },
  "mixed-levels": { models: 5, zipf: 0.8, load: 0.55, level2Share: 0.6 },
  light: { models: 4, zipf: 1, load: 0.15 },
  "light-two": { models: 2, zipf: 0.5, load: 0.3, burstiness: 0.2 },
};

/** Shapes whose load is at most this share are "light": the best policy must not be worse than fifo there. */
export const LIGHT_LOAD = 0.45;

/** Seeds the policies were tuned on. */
export const TUNING_SEEDS: readonly number[] = [1, 2, 3];
/** Seeds never looked at while tuning: the tests, the README table and `pnpm bench` use these. */
export const HELD_OUT_SEEDS: readonly number[] = [1001, 1002];

function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

/** Mean of a capped lognormal, by sampling with its own generator (deterministic). */
function meanOutput(shape: FamilyShape): number {
  const random = seededRandom(12345);
  let sum = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++)
    sum += Math.min(shape.maxOutputTokens, Math.max(1, Math.round(shape.outputMedian * Math.exp(shape.outputSigma * gaussian(random)))));
  return sum / n;
}

function zipfWeights(count: number, exponent: number): number[] {
  const raw = Array.from({ length: count }, (_, rank) => 1 / (rank + 1) ** exponent);
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Generate one member of the family: `shape` (a name of `TRACE_SHAPES` or knobs) with `seed`. */
export function familyTrace(shapeName: string, seed: number, overrides: Partial<FamilyShape> = {}): FamilyTrace {
  const shape: FamilyShape = { ...BASE, ...TRACE_SHAPES[shapeName], ...overrides };
  const random = seededRandom(seed);
  const names = Array.from({ length: shape.models }, (_, i) => `m${i}`);
  const capacity = DEFAULT_SIM_SERVICE.maxConcurrency / (serviceMs(DEFAULT_SIM_SERVICE, meanOutput(shape)) / 1000);
  const meanRate = shape.load * capacity;
  const weights = zipfWeights(shape.models, shape.zipf);
  const sleepLevels: Record<string, 1 | 2> = {};
  for (const name of names) sleepLevels[name] = random() < shape.level2Share ? 2 : 1;
  const requests: TraceRequest[] = [];
  let ranking = names;
  let t = 0;
  while (t < shape.durationSecs) {
    const length = exponential(random, shape.episodeSecs);
    // A lognormal multiplier with mean 1: bursts and lulls, the same load on average.
    const sigma = shape.burstiness;
    const rate = meanRate * Math.exp(sigma * gaussian(random) - (sigma * sigma) / 2);
    if (random() < shape.burstiness) ranking = shuffled(names, random);
    const end = Math.min(shape.durationSecs, t + length);
    for (let at = t + exponential(random, 1 / rate); at < end; at += exponential(random, 1 / rate)) {
      let x = random();
      let model = ranking[0] as string;
      for (let i = 0; i < weights.length; i++) {
        if (x < (weights[i] as number)) {
          model = ranking[i] as string;
          break;
        }
        x -= weights[i] as number;
      }
      const tokens = Math.min(shape.maxOutputTokens, Math.max(1, Math.round(shape.outputMedian * Math.exp(shape.outputSigma * gaussian(random)))));
      const request: TraceRequest = { t: Math.round(at * 1000) / 1000, model, tokens };
      if (random() < shape.maxTokensShare) request.max_tokens = Math.max(256, 2 ** Math.ceil(Math.log2(tokens)));
      requests.push(request);
    }
    t = end;
  }
  return { name: `${shapeName}@${seed}`, seed, shape, requests, sleepLevels };
}
