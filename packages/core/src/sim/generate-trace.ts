import type { TraceRequest } from "./trace.js";

/** A small deterministic PRNG (mulberry32) so committed traces can be regenerated exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** Options shared by the generators. */
export interface TraceShape {
  seed?: number;
  durationSecs?: number;
  /** Mean arrival rate over all models, requests/s. */
  ratePerSec?: number;
  /** Share of the traffic that goes to the model in favour; the rest is a trickle to the others. */
  dominance?: number;
  /** Tokens per request, uniform in [minTokens, maxTokens). */
  minTokens?: number;
  maxTokens?: number;
}

function tokens(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min));
}

/**
 * Two models whose popularity alternates every `phaseSecs`: the dominant one
 * gets `dominance` of the traffic, the other a trickle (mixed traffic, where
 * FIFO ping-pongs). The defaults are a busy GPU: 11 requests/s of 20–120
 * tokens, about 70% of what one engine that never switched could serve with
 * the simulator's default service model (32 at once, 200 ms + tokens ÷ 40/s).
 */
export function alternatingTrace(options: TraceShape & { phaseSecs?: number } = {}): TraceRequest[] {
  const { seed = 42, durationSecs = 600, ratePerSec = 11, phaseSecs = 150, dominance = 0.99, minTokens = 20, maxTokens = 120 } = options;
  const random = seededRandom(seed);
  const requests: TraceRequest[] = [];
  for (let t = exponential(random, 1 / ratePerSec); t < durationSecs; t += exponential(random, 1 / ratePerSec)) {
    const phase = Math.floor(t / phaseSecs) % 2;
    const dominant = phase === 0 ? "chat" : "code";
    const other = phase === 0 ? "code" : "chat";
    requests.push({ t: round(t), model: random() < dominance ? dominant : other, tokens: tokens(random, minTokens, maxTokens) });
  }
  return requests;
}

/** The four models of `burstyTrace` and how often each is the one in favour. */
export const BURSTY_MODELS: readonly { name: string; weight: number }[] = [
  { name: "llama-8b", weight: 0.6 },
  { name: "qwen-7b", weight: 0.25 },
  { name: "mistral-7b", weight: 0.1 },
  { name: "phi-3", weight: 0.05 },
];

/**
 * Four models with skewed, bursty popularity: the traffic goes in bursts of
 * random length (exponential, mean `burstSecs`) to one model in favour, drawn
 * with weights 0.6/0.25/0.1/0.05; during a burst that model gets `dominance`
 * of the requests and the others share the trickle (skewed by the same
 * weights). Tokens as in `alternatingTrace`, a little busier: 12.5 requests/s (about 76% of one
 * engine's capacity), 99.5% to the model in favour.
 */
export function burstyTrace(options: TraceShape & { burstSecs?: number } = {}): TraceRequest[] {
  const { seed = 7, durationSecs = 600, ratePerSec = 12.5, burstSecs = 120, dominance = 0.995, minTokens = 20, maxTokens = 120 } = options;
  const random = seededRandom(seed);
  const pick = (): string => {
    let x = random();
    for (const model of BURSTY_MODELS) {
      if (x < model.weight) return model.name;
      x -= model.weight;
    }
    return BURSTY_MODELS[0]?.name ?? "";
  };
  // The trickle to the models out of favour is skewed by the same weights.
  const trickle = (x: number, favoured: string): string => {
    const others = BURSTY_MODELS.filter((m) => m.name !== favoured);
    let rest = x * others.reduce((sum, m) => sum + m.weight, 0);
    for (const model of others) {
      if (rest < model.weight) return model.name;
      rest -= model.weight;
    }
    return others[0]?.name ?? favoured;
  };
  const requests: TraceRequest[] = [];
  let favoured = pick();
  let burstEnd = exponential(random, burstSecs);
  for (let t = exponential(random, 1 / ratePerSec); t < durationSecs; t += exponential(random, 1 / ratePerSec)) {
    while (t >= burstEnd) {
      favoured = pick();
      burstEnd += exponential(random, burstSecs);
    }
    const model = random() < dominance ? favoured : trickle(random(), favoured);
    requests.push({ t: round(t), model, tokens: tokens(random, minTokens, maxTokens) });
  }
  return requests;
}
