import { DEFAULT_SIM_COSTS, DEFAULT_SIM_SERVICE, type FamilyTrace, familyTrace } from "@llmux/core";
import { levelTwoWakeKnobs } from "@llmux/vllm-sim/testing";

/**
 * Live replays run every time of the trace (arrivals, costs, decode rate)
 * SCALE times faster than the simulator's defaults, so a 200 s trace takes
 * 20 s; the figures are multiplied back by SCALE.
 */
export const SCALE = 10;
/** Decode rate of the simulator's defaults (tokens/s per sequence), before scaling. */
export const TOKENS_PER_SEC = DEFAULT_SIM_SERVICE.tokensPerSec;
/** Requests in one engine at once, live (llmux's `max_concurrency`) and simulated (the engine's batch). */
export const BATCH = 8;
/** The seed every live replay uses (held out when the bench's figures were taken; never tuned on). */
export const SEED = 2005;

/**
 * The short held-out trace: two equal models, outputs of 500–4000 tokens
 * (median 1500; with `ignore_eos` each answer is exactly its length), at
 * `load` of what one engine of BATCH sequences serves.
 */
export function replayTrace(load: number, durationSecs: number): FamilyTrace {
  // The family's load is a share of a 64-sequence engine; these engines take BATCH at once.
  const family = familyTrace("two-equal-saturated", SEED, { durationSecs, load: (load * BATCH) / 64, outputMedian: 1500, outputSigma: 0.6 });
  return { ...family, requests: family.requests.map((r) => ({ ...r, tokens: Math.min(4000, Math.max(500, r.tokens)) })) };
}

/**
 * vllm-sim's command-line words for the simulator's costs and service model,
 * SCALE times faster. `simBootMs` (vllm-sim's own boot, real ms) is taken off
 * the cold start, whose simulated cost runs from spawn to ready.
 */
export function replaySimArgs(simBootMs = 0): string[] {
  const ms = (value: number) => Math.max(1, Math.round(value / SCALE));
  const knobs = {
    "startup-ms": Math.max(1, ms(DEFAULT_SIM_COSTS.startMs) - simBootMs),
    "sleep1-ms": ms(DEFAULT_SIM_COSTS.sleepMs[1]),
    "wake1-ms": ms(DEFAULT_SIM_COSTS.wakeMs[1]),
    "sleep2-ms": ms(DEFAULT_SIM_COSTS.sleepMs[2]),
    // A level-2 wake is three calls to vllm-sim; the simulator's cost is the whole of them.
    ...levelTwoWakeKnobs(ms(DEFAULT_SIM_COSTS.wakeMs[2])),
    "ttft-ms": ms(DEFAULT_SIM_SERVICE.ttftMs),
    "tokens-per-sec": TOKENS_PER_SEC * SCALE,
  };
  return Object.entries(knobs).flatMap(([name, value]) => [`--sim-${name}`, String(value)]);
}

/**
 * What the engines of `replaySimArgs` take, as a config's `expected_costs`
 * (seconds), `scale` times faster: llmux plans with them instead of the
 * built-in priors, which are real seconds of a real GPU, until it has
 * measured each transition.
 */
export function replayExpectedCosts(scale: number): Record<string, unknown> {
  const secs = (ms: number) => ms / 1000 / scale;
  return {
    cold_start_secs: secs(DEFAULT_SIM_COSTS.startMs),
    stop_secs: secs(DEFAULT_SIM_COSTS.stopMs),
    sleep_secs: { "1": secs(DEFAULT_SIM_COSTS.sleepMs[1]), "2": secs(DEFAULT_SIM_COSTS.sleepMs[2]) },
    wake_secs: { "1": secs(DEFAULT_SIM_COSTS.wakeMs[1]), "2": secs(DEFAULT_SIM_COSTS.wakeMs[2]) },
  };
}
