import { DEFAULT_SIM_COSTS, DEFAULT_SIM_SERVICE, type SimEngineCosts, type SimServiceOptions, type TraceRequest, percentile } from "@llmux/core";

type Service = Pick<SimServiceOptions, "ttftMs" | "tokensPerSec">;

/** Seconds a request's model must be awake for it: its prefill and its tokens at the decode rate (a continuation only adds a re-read). */
function ownSecs(request: TraceRequest, service: Service): number {
  return (service.ttftMs + (request.tokens / service.tokensPerSec) * 1000) / 1000;
}

/**
 * A lower bound on any policy's p99 latency for `trace`, seconds: no request
 * ends before its own prefill and tokens at the decode rate, whatever the
 * order, the switches or the pauses, so the p99 of these times bounds the
 * p99 of the latencies from below. It ignores switching and waiting.
 */
export function generationLowerBound(trace: readonly TraceRequest[], service: Service = DEFAULT_SIM_SERVICE): number {
  return percentile(
    trace.map((request) => ownSecs(request, service)),
    0.99,
  );
}

/** What the switch-aware bound knows of the engines. */
export interface SwitchBoundOptions {
  costs?: Pick<SimEngineCosts, "sleepMs" | "wakeMs" | "stopMs">;
  service?: Service;
}

/**
 * Whether two requests of different models cannot both end within `limit`
 * seconds of their arrivals on one GPU where one model is awake at a time.
 * Each needs its model awake for its own time within its window; a window
 * has `gap` seconds the other's does not, the overlap the rest; if both need
 * part of the overlap, a switch (one model's sleep and the other's wake)
 * lies inside it too (the GPU holds one model at a time, so the next cannot
 * wake before the last is off).
 */
export function conflict(firstSecs: number, secondSecs: number, gap: number, limit: number, switchSecs: number): boolean {
  const overlap = limit - gap;
  if (overlap <= 0) return false;
  const first = Math.max(0, firstSecs - gap);
  const second = Math.max(0, secondSecs - gap);
  return first + second + (first > 0 && second > 0 ? switchSecs : 0) > overlap;
}

/** Whether some policy could keep at most `late` requests of `trace` over `limit` seconds, as far as pairs tell (false = certainly not). */
function pairsAllow(trace: readonly TraceRequest[], own: readonly number[], limit: number, late: number, switchSecs: number): boolean {
  // Any matching in the conflict graph is at most its smallest vertex cover, and the late requests are a vertex cover.
  const matched = new Uint8Array(trace.length);
  let pairs = 0;
  for (let i = 0; i < trace.length; i++) {
    const a = trace[i] as TraceRequest;
    if (matched[i] || (own[i] as number) > limit) continue;
    for (let j = i + 1; j < trace.length; j++) {
      const b = trace[j] as TraceRequest;
      const gap = b.t - a.t;
      if (gap >= limit) break;
      if (matched[j] || b.model === a.model || (own[j] as number) > limit) continue;
      if (conflict(own[i] as number, own[j] as number, gap, limit, switchSecs)) {
        matched[i] = 1;
        matched[j] = 1;
        pairs++;
        break;
      }
    }
  }
  const alone = own.filter((secs) => secs > limit).length;
  return alone + pairs <= late;
}

/**
 * A lower bound on any policy's p99 latency that counts switching: the
 * largest latency L (searched in 1 s steps) at which more requests than the
 * 1% a p99 may leave out certainly end later than L, because they need more
 * than L alone or they are in pairs of different models that cannot both
 * end within L (`conflict`). Valid for every order, admission limit and
 * pause rule (pausing is free here), but blind to batch limits and to
 * conflicts of three or more, so still below what is reachable.
 */
export function switchLowerBound(trace: readonly TraceRequest[], options: SwitchBoundOptions = {}): number {
  const service = options.service ?? DEFAULT_SIM_SERVICE;
  const costs = options.costs ?? DEFAULT_SIM_COSTS;
  const sorted = [...trace].sort((a, b) => a.t - b.t);
  const own = sorted.map((request) => ownSecs(request, service));
  // The cheapest way off the GPU and back on at any level, whatever the config says: the bound holds for any eviction a policy picks.
  const switchSecs = (Math.min(costs.sleepMs[1], costs.sleepMs[2], costs.stopMs) + Math.min(costs.wakeMs[1], costs.wakeMs[2])) / 1000;
  // Nearest-rank p99 ≤ L needs the ceil(0.99 n)-th latency ≤ L: at most n − ceil(0.99 n) above it.
  const late = sorted.length - Math.ceil(0.99 * sorted.length);
  let bound = generationLowerBound(sorted, service);
  for (let limit = Math.floor(bound) + 1; !pairsAllow(sorted, own, limit, late, switchSecs); limit++) bound = limit;
  return bound;
}
