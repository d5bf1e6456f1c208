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
  /** Generations one engine runs at once (vLLM's batch, the family's `--max-num-seqs`). */
  batch?: number;
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
 * How many of `requests` (all inside one stretch of `lengthSecs`, by their
 * windows) must end late, capped at `cap`: with one model awake at a time,
 * the models kept on time need, one after the other inside the stretch, each
 * its longest kept generation and its kept work spread over `batch` slots,
 * and a switch between each two. The cheapest way to fit drops a model's
 * longest requests, or the whole model.
 */
export function forcedLate(requests: readonly { model: string; secs: number }[], lengthSecs: number, batch: number, switchSecs: number, cap: number): number {
  const byModel = new Map<string, number[]>();
  for (const request of requests) {
    const secs = byModel.get(request.model);
    if (secs) secs.push(request.secs);
    else byModel.set(request.model, [request.secs]);
  }
  // best[k]: the least time the models so far need with k requests dropped (a kept model's switch counted with it).
  let best = new Float64Array(cap + 1).fill(0);
  for (const secs of byModel.values()) {
    const sorted = [...secs].sort((a, b) => b - a);
    const suffix = new Float64Array(sorted.length + 1);
    for (let i = sorted.length - 1; i >= 0; i--) suffix[i] = (suffix[i + 1] as number) + (sorted[i] as number);
    const next = new Float64Array(cap + 1).fill(Infinity);
    for (let before = 0; before <= cap; before++) {
      const base = best[before] as number;
      if (base === Infinity) continue;
      for (let dropped = 0; dropped <= sorted.length && before + dropped <= cap; dropped++) {
        const need = dropped === sorted.length ? 0 : Math.max(sorted[dropped] as number, (suffix[dropped] as number) / batch) + switchSecs;
        const at = before + dropped;
        if (base + need < (next[at] as number)) next[at] = base + need;
      }
    }
    best = next;
  }
  // The first model up needs no switch inside the stretch.
  for (let dropped = 0; dropped <= cap; dropped++) if ((best[dropped] as number) - switchSecs <= lengthSecs) return dropped;
  return cap + 1;
}

/** Stretches begin at an arrival and take in the arrivals of this many seconds after it (each lasts that and L). */
const STRETCH_SPANS = [0, 5, 10, 20, 40, 80, 160, 320] as const;

/**
 * Requests certainly late by `forcedLate` over stretches that do not
 * overlap: the most a choice of such stretches counts (weighted interval
 * scheduling over every arrival and span), capped past `cap`.
 */
function stretchesLate(trace: readonly TraceRequest[], own: readonly number[], limit: number, batch: number, switchSecs: number, cap: number): number {
  const stretches: { start: number; end: number; late: number }[] = [];
  for (let i = 0; i < trace.length; i++) {
    const start = (trace[i] as TraceRequest).t;
    for (const span of STRETCH_SPANS) {
      const inside: { model: string; secs: number }[] = [];
      for (let j = i; j < trace.length && (trace[j] as TraceRequest).t <= start + span; j++) {
        if ((own[j] as number) <= limit) inside.push({ model: (trace[j] as TraceRequest).model, secs: own[j] as number });
      }
      const late = forcedLate(inside, span + limit, batch, switchSecs, cap);
      if (late > 0) stretches.push({ start, end: start + span + limit, late });
    }
  }
  stretches.sort((a, b) => a.end - b.end);
  // best[k]: the most late requests the first k stretches (by end) count without overlapping.
  const best = new Float64Array(stretches.length + 1);
  for (let k = 0; k < stretches.length; k++) {
    const stretch = stretches[k] as (typeof stretches)[number];
    let low = 0;
    let high = k;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((stretches[middle] as (typeof stretches)[number]).end <= stretch.start) low = middle + 1;
      else high = middle;
    }
    best[k + 1] = Math.max(best[k] as number, (best[low] as number) + stretch.late);
  }
  return best[stretches.length] as number;
}

/**
 * A lower bound on any policy's p99 latency that counts switching: the
 * largest latency L found at which more than the 1% of requests a p99 may
 * leave out certainly end later than L. They do when they need more than L
 * alone; when they are in pairs of different models that cannot both end
 * within L (`conflict`, L searched in 1 s steps); or when, over stretches of
 * time that do not overlap, the requests whose whole windows lie in a
 * stretch need more of the GPU than it has (`forcedLate`: their models one
 * at a time, at most `batch` generations at once, a switch between models;
 * L bisected). Valid for every order, admission limit and pause rule
 * (pausing is free here); blind to the work carried from one stretch to the
 * next, so still below what is reachable.
 */
export function switchLowerBound(trace: readonly TraceRequest[], options: SwitchBoundOptions = {}): number {
  const service = options.service ?? DEFAULT_SIM_SERVICE;
  const costs = options.costs ?? DEFAULT_SIM_COSTS;
  const batch = options.batch ?? DEFAULT_SIM_SERVICE.maxConcurrency;
  const sorted = [...trace].sort((a, b) => a.t - b.t);
  const own = sorted.map((request) => ownSecs(request, service));
  // The cheapest way off the GPU and back on at any level, whatever the config says: the bound holds for any eviction a policy picks.
  const switchSecs = (Math.min(costs.sleepMs[1], costs.sleepMs[2], costs.stopMs) + Math.min(costs.wakeMs[1], costs.wakeMs[2])) / 1000;
  // Nearest-rank p99 ≤ L needs the ceil(0.99 n)-th latency ≤ L: at most n − ceil(0.99 n) above it.
  const late = sorted.length - Math.ceil(0.99 * sorted.length);
  const alone = (limit: number) => own.filter((secs) => secs > limit).length;
  let bound = generationLowerBound(sorted, service);
  // Pairs are cheap: step up while they certify.
  for (let limit = Math.floor(bound) + 1; !pairsAllow(sorted, own, limit, late, switchSecs); limit++) bound = limit;
  // Stretches cost more: a bisection, which only ever keeps a certified L (certainty need not be monotone in L here).
  const certain = (limit: number) => alone(limit) + stretchesLate(sorted, own, limit, batch, switchSecs, late) > late;
  let low = Math.floor(bound);
  let high = low + 1;
  while (certain(high)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (certain(middle)) low = middle;
    else high = middle;
  }
  return Math.max(bound, certain(low) ? low : bound);
}
