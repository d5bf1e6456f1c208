import { planEvictions } from "../budget.js";
import { candidates, type Eviction, type Policy, type PolicyDecision, type PolicyModelView, type PolicyView } from "../policy.js";
import { minActiveUntil, switchCostMs } from "./estimate.js";

/** One model that could be brought up now, with what it would take. */
interface Option {
  model: PolicyModelView;
  evict: Eviction[];
  /** Expected sleep/stop + wake/start time (ms), from measured costs. */
  costMs: number;
  /** Arrival of its oldest waiting request. */
  oldest: number;
  /** Latest clock time at which its switch must start to keep `max_wait_secs` (+ one switch). */
  mustStartAt: number;
  /** In-flight requests and waiters of the models it would evict. */
  evicteeLoad: number;
  /** Every evictee idle, and quiet for at least a switch's time (or since `quietAt`). */
  evicteesIdle: boolean;
  quietAt: number;
}

/**
 * How much more waiting (request-seconds) the target must have accumulated
 * than the switch costs the evictees' work before it takes over: 2 keeps a
 * model that became popular from waiting long, while a trickle of requests
 * for another model never outweighs a busy awake one before its bound.
 */
const WORK_FACTOR = 2;

/**
 * Models whose bound falls within this share of `max_wait_secs` join a trip
 * that is already leaving the busy model: one extra switch now instead of a
 * trip of two switches later.
 */
const PIGGYBACK_SHARE = 0.5;

/**
 * Each model served ahead of another adds a whole switch to its wait, the
 * drain of the model it leaves included; drains are not measured (they
 * depend on the requests in flight), so allow half a switch's sleep and wake
 * for one. Without it a trip that first leaves a busy model (a long drain)
 * made its second stop wait past `max_wait_secs` plus one switch.
 */
const DRAIN_SHARE = 0.5;

/**
 * Switch less, wait less, with a hard bound. It stays on the awake model
 * while that model has work and no waiting request is near its bound, and
 * batches the requests of the other models. It switches when
 *   1. the target fits without evicting anyone;
 *   2. every model to evict is idle and has been quiet for a switch's time;
 *   3. the target takes over: more requests wait for it than the evictees
 *      have in flight and waiting, and the request-seconds already waited
 *      reach 2 × that load × the measured switch cost (a ski-rental rule:
 *      what waiting has already cost pays for the switch);
 *   4. its oldest request reaches `max_wait_secs` minus one switch (and an
 *      allowance for its drain) for every model waiting longer; those go
 *      first, oldest first, so this is the hard bound: no request
 *      waits more than `max_wait_secs` plus one switch (the drain of the
 *      evicted model and the sleep and wake).
 * When a trip away from a busy model is made (rule 4, or leaving a model
 * visited for its bound), models whose bound is within half of
 * `max_wait_secs` are served on the same trip, oldest first, before it
 * returns to the model most requests wait for (its home).
 */
export const costAwarePolicy: Policy = {
  name: "cost_aware",
  decide(view: PolicyView): PolicyDecision {
    const maxWaitMs = view.config.max_wait_secs * 1000;
    const options = buildOptions(view, maxWaitMs);
    let recheckAt: number | undefined;
    const later = (at: number) => {
      if (Number.isFinite(at) && at > view.now && (recheckAt === undefined || at < recheckAt)) recheckAt = at;
    };
    // A due model's bound was brought forward by one switch for every model
    // waiting longer, on the promise that those go first: keep it, or the
    // older one waits for this switch and its drain beyond its own bound.
    const urgent = options.filter((o) => o.mustStartAt <= view.now).sort((a, b) => a.mustStartAt - b.mustStartAt)[0];
    const due = urgent ? options.filter((o) => o.oldest <= urgent.oldest).sort((a, b) => a.oldest - b.oldest) : [];
    let chosen: Option | undefined;
    let reason = "";
    const free = options.find((o) => o.evict.length === 0);
    if (free) [chosen, reason] = [free, "fits without eviction"];
    else if (due[0]) [chosen, reason] = [due[0], "max_wait bound"];
    else {
      const takers = options.filter((o) => takesOver(view, o));
      const quiet = options.filter((o) => o.evicteesIdle && o.quietAt <= view.now);
      // Leaving for a model that takes over: first serve the ones that would
      // need a trip of their own soon (their evictee is the same awake
      // model). Any model but the one most requests wait for (the end of the
      // trip) may be such a stop, even one that could take over by itself: a
      // trickle model with a few requests is a stop, not a destination, so
      // the trip goes through every such model before it returns home.
      const home = homeOf(options);
      const soon = options
        .filter((o) => o !== home && o.mustStartAt <= view.now + PIGGYBACK_SHARE * maxWaitMs && takers.some((t) => t !== o && sameEvictees(t, o)))
        .sort((a, b) => a.oldest - b.oldest);
      const ranked = [...takers, ...quiet]
        .filter((o) => fair(view, options, o))
        .sort((a, b) => b.model.priority - a.model.priority || score(b, view.now) - score(a, view.now));
      const piggy = soon.find((o) => fair(view, options, o) && !onlyBusyEvictee(view, o));
      if (piggy) [chosen, reason] = [piggy, "same trip"];
      else if (ranked[0]) [chosen, reason] = [ranked[0], takers.includes(ranked[0]) ? "waiting outweighs the switch" : "evictees quiet"];
    }
    if (!chosen) {
      for (const option of options) {
        later(option.mustStartAt);
        if (option.evicteesIdle) later(option.quietAt);
        later(takeOverAt(view, option));
      }
      return recheckAt === undefined ? { action: "wait" } : { action: "wait", recheckAt };
    }
    // min_active_secs yields to the hard bound.
    const until = minActiveUntil(view, chosen.evict);
    if (until !== undefined && chosen.mustStartAt > view.now) return { action: "wait", recheckAt: Math.min(until, chosen.mustStartAt) };
    return { action: "switch", model: chosen.model.name, evict: chosen.evict, reason };
  },
};

function buildOptions(view: PolicyView, maxWaitMs: number): Option[] {
  const options: Option[] = [];
  for (const model of candidates(view)) {
    const evict = planEvictions(view, model);
    if (!evict) continue;
    const costMs = switchCostMs(view, model, evict);
    let quietAt = view.now;
    let evicteesIdle = true;
    let evicteeLoad = 0;
    for (const eviction of evict) {
      const other = view.models.find((m) => m.name === eviction.model);
      if (other?.state !== "awake") continue;
      evicteeLoad += other.inFlight + other.queue.length;
      if (other.inFlight > 0 || other.queue.length > 0) evicteesIdle = false;
      quietAt = Math.max(quietAt, (other.lastAdmitAt ?? -Infinity) + Math.min(costMs, maxWaitMs / 2));
    }
    const oldest = model.queue[0] ?? view.now;
    options.push({ model, evict, costMs, oldest, mustStartAt: oldest + maxWaitMs, evicteeLoad, evicteesIdle, quietAt });
  }
  // Every model waiting longer (including ones being switched right now) is
  // served first and adds a switch, with its drain, to this one's wait: start
  // that much earlier.
  const waitingSince = view.models.filter((m) => m.queue.length > 0 && m.state !== "awake").map((m) => m.queue[0] ?? view.now);
  for (const option of options) {
    const ahead = waitingSince.filter((at) => at < option.oldest).length;
    option.mustStartAt = option.oldest + maxWaitMs - ahead * (1 + DRAIN_SHARE) * option.costMs;
  }
  return options;
}

/** Request-seconds already waited by the target's queue at `now`. */
function waitedMs(option: Option, now: number): number {
  return option.model.queue.reduce((sum, at) => sum + (now - at), 0);
}

/** Rule 3: the target has more work waiting than the evictees and it outweighs the switch. */
function takesOver(view: PolicyView, option: Option): boolean {
  return option.evict.length > 0 && option.model.queue.length > option.evicteeLoad && takeOverAt(view, option) <= view.now;
}

/** When the waiting work reaches the threshold of rule 3 if nothing else changes. */
function takeOverAt(view: PolicyView, option: Option): number {
  if (option.model.queue.length <= option.evicteeLoad) return Infinity;
  const threshold = WORK_FACTOR * Math.max(1, option.evicteeLoad) * option.costMs;
  const waited = waitedMs(option, view.now);
  if (waited >= threshold) return view.now;
  return Math.ceil(view.now + (threshold - waited) / option.model.queue.length);
}

/** The model most requests wait for: where the traffic is, the end of a trip. */
function homeOf(options: readonly Option[]): Option | undefined {
  let home: Option | undefined;
  for (const option of options) if (!home || option.model.queue.length > home.model.queue.length) home = option;
  return home;
}

function sameEvictees(a: Option, b: Option): boolean {
  return a.evict.some((x) => b.evict.some((y) => x.model === y.model));
}

/**
 * A model taking over is waiting: piggybacking is only worth it when the
 * evictee is not itself the model with the most demand (then the trip is
 * being made anyway, so do not start one early).
 */
function onlyBusyEvictee(view: PolicyView, option: Option): boolean {
  return option.evict.some((eviction) => {
    const other = view.models.find((m) => m.name === eviction.model);
    return other !== undefined && other.queue.length === 0 && other.inFlight > option.model.queue.length * 4;
  });
}

/**
 * A younger model may go first only if no older one would then miss its
 * bound (its wait grows by this switch and the drain after it).
 */
function fair(view: PolicyView, options: readonly Option[], option: Option): boolean {
  return options.every((other) => other === option || other.oldest >= option.oldest || other.mustStartAt >= view.now + 2 * option.costMs);
}

/** Waiting work (request-seconds) per millisecond of switching. */
function score(option: Option, now: number): number {
  return (waitedMs(option, now) + option.model.queue.length) / Math.max(1, option.costMs);
}
