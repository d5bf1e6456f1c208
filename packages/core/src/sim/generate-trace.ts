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

/**
 * Two models whose popularity alternates every `phaseSecs`: the dominant one
 * gets `dominance` of the traffic, the other the rest (mixed traffic, where
 * FIFO ping-pongs).
 */
export function alternatingTrace(options: { seed?: number; durationSecs?: number; ratePerSec?: number; phaseSecs?: number; dominance?: number } = {}): TraceRequest[] {
  const { seed = 42, durationSecs = 600, ratePerSec = 1, phaseSecs = 60, dominance = 0.8 } = options;
  const random = seededRandom(seed);
  const requests: TraceRequest[] = [];
  for (let t = exponential(random, 1 / ratePerSec); t < durationSecs; t += exponential(random, 1 / ratePerSec)) {
    const phase = Math.floor(t / phaseSecs) % 2;
    const dominant = phase === 0 ? "chat" : "code";
    const other = phase === 0 ? "code" : "chat";
    requests.push({ t: round(t), model: random() < dominance ? dominant : other, tokens: 50 + Math.floor(random() * 350) });
  }
  return requests;
}

/**
 * Four models with skewed popularity (weights 0.6/0.25/0.1/0.05), each in
 * on/off bursts: during a burst a model sends at several times its mean rate.
 */
export function burstyTrace(options: { seed?: number; durationSecs?: number; ratePerSec?: number } = {}): TraceRequest[] {
  const { seed = 7, durationSecs = 600, ratePerSec = 1.2 } = options;
  const random = seededRandom(seed);
  const models = [
    { name: "llama-8b", weight: 0.6 },
    { name: "qwen-7b", weight: 0.25 },
    { name: "mistral-7b", weight: 0.1 },
    { name: "phi-3", weight: 0.05 },
  ];
  const requests: TraceRequest[] = [];
  for (const model of models) {
    const meanRate = ratePerSec * model.weight;
    // Bursts: on for ~20 s at 4x the rate, off for ~60 s at a trickle.
    let t = 0;
    let on = random() < 0.5;
    while (t < durationSecs) {
      const span = exponential(random, on ? 20 : 60);
      const rate = on ? meanRate * 3.4 : meanRate * 0.2;
      let at = t + exponential(random, 1 / rate);
      while (at < Math.min(durationSecs, t + span)) {
        requests.push({ t: round(at), model: model.name, tokens: 30 + Math.floor(random() * 300) });
        at += exponential(random, 1 / rate);
      }
      t += span;
      on = !on;
    }
  }
  return requests.sort((a, b) => a.t - b.t);
}
