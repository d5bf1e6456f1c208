import type { LatencyBreakdown } from "./latency-breakdown.js";

/** What one policy did on one trace. Times in seconds. */
export interface PolicyResult {
  policy: string;
  requests: number;
  served: number;
  /** Requests admitted or queued that were not served: cut off by a drain timeout (preempted), timed out or failed otherwise. `served + failed + refused = requests`. */
  failed: number;
  /** Of `failed`: leases revoked mid-generation (a drain that timed out). */
  preempted: number;
  /** Answered at once with a 429 (overload: a queue cap or `policy.overload_refusal`), not counted in `failed`. */
  refused: number;
  /** Seconds from arrival to lease. */
  waitP50: number;
  waitP99: number;
  waitMax: number;
  /** Seconds from arrival to the last token. */
  latencyP50: number;
  latencyP99: number;
  /** Latency p99 of the requests that arrived while their model was not awake (they waited for a switch): the other models' requests. */
  switchedLatencyP99: number;
  switches: number;
  /** Share of the simulated time spent sleeping, stopping, waking or starting engines, 0..1. */
  switchingShare: number;
  /** Share of the simulated time spent draining (a switch waiting for generations in flight), 0..1. */
  drainShare: number;
  /** Drain durations, seconds. */
  drainP50: number;
  drainMax: number;
  /** The longest switch (drain + sleep + wake), seconds. */
  longestSwitchSecs: number;
  /** The longest switch without its drain (sleep + wake), seconds. */
  longestSwitchCostSecs: number;
  /** Simulated seconds from the first arrival to the last completion. */
  makespanSecs: number;
  /** The longest generation served (lease held), seconds. */
  longestGenerationSecs: number;
  /**
   * `time_slice`'s documented bound on this run: `max_wait_secs` + the
   * longest generation (what a due switch may wait for) + the longest
   * switch (drain + sleep + wake), seconds.
   */
  boundSecs: number;
  /** Pauses of requests by switches (`max_drain_secs`); each was resumed as a continuation. */
  paused: number;
  /** Seconds the GPU served generations (prefill of continuations included) or switched: the union of both. */
  gpuBusySecs: number;
  /** Served requests that waited longer than `boundSecs`. */
  overBound: number;
  /**
   * The bound with every model waiting: `max_wait_secs` + K × (the longest
   * generation + the longest switch without its drain), K the trace's
   * models: each model ahead takes a turn that lasts at least as long as its
   * longest generation (the turn floor), seconds. It holds only while every
   * turn begins with at most one batch waiting (see `overTurnBound`).
   */
  roundBoundSecs: number;
  /** Served requests that waited longer than `roundBoundSecs`. */
  overRoundBound: number;
  /**
   * Served requests that waited longer than their bound with each turn
   * counted at its backlog: `max_wait_secs` + for each turn they waited
   * through, one switch (without drain) and one longest generation per batch
   * (admission limit) of requests waiting when it began; or through more
   * than K turns (`TurnLog`).
   */
  overTurnBound: number;
  /** First-token wait p99 (arrival to first token, seconds) of the requests that waited for a switch. */
  switchedFirstTokenP99: number;
  /** Admitted requests that waited longer than the wait llmux promised them when they joined the queue (`policy.overload_refusal` on; 0 when off). */
  overPromised: number;
  /** Sleeps and stops done by `idle_timeout_secs` / `asleep_timeout_secs`. */
  idleActions: number;
  /** Per model: switches that put it away (a pinned model never appears; lower `priority` goes first). */
  evictions: Record<string, number>;
  /** Where the time of the slowest 1% of served requests went. */
  slowest: LatencyBreakdown;
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** Total length of the union of time spans. */
export function unionMs(spans: readonly [number, number][]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of sorted) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}

/** Largest value without spreading (a 30k-element spread overflows the call stack on some engines). */
export function maxOf(values: Iterable<number>): number {
  let max = 0;
  for (const value of values) if (value > max) max = value;
  return max;
}
