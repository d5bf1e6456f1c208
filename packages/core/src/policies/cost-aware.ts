import { planEvictions } from "../budget.js";
import { candidates, type Eviction, type Policy, type PolicyDecision, type PolicyModelView, type PolicyView } from "../policy.js";
import { minActiveUntil, switchCostMs } from "./estimate.js";

interface Option {
  model: PolicyModelView;
  evict: Eviction[];
  costMs: number;
  /** Clock time at which its oldest request must be served to keep `max_wait_secs`. */
  mustStartAt: number;
  /** True when every evictee is idle and has been quiet for at least a switch's time. */
  evicteesQuiet: boolean;
  /** When the evictees will have been quiet long enough (if they stay idle). */
  quietAt: number;
  /** No evictee has a request in flight (a release re-runs the policy anyway). */
  evicteesIdle: boolean;
}

/**
 * Switch less, wait less: batch requests of a model that is not awake while
 * the awake one is busy, and switch when
 *   1. the target fits without evicting anyone, or
 *   2. every model to evict is idle and has been quiet at least as long as the
 *      switch would take (it is unlikely to be needed right back), or
 *   3. the waiting already accumulated for the target outweighs the switch
 *      (see `outweighs`), or
 *   4. the oldest waiting request would otherwise exceed `max_wait_secs`
 *      (counting the expected switch time): the hard bound.
 * Among ready options it prefers the urgent one, then the most waiting work
 * per second of switching. Costs are the measured moving averages.
 */
export const costAwarePolicy: Policy = {
  name: "cost_aware",
  decide(view: PolicyView): PolicyDecision {
    const maxWaitMs = view.config.max_wait_secs * 1000;
    const options: Option[] = [];
    let recheckAt: number | undefined;
    const later = (at: number) => {
      if (at > view.now && (recheckAt === undefined || at < recheckAt)) recheckAt = at;
    };
    for (const model of candidates(view)) {
      const evict = planEvictions(view, model);
      if (!evict) continue;
      const costMs = switchCostMs(view, model, evict);
      let quietAt = view.now;
      let evicteesQuiet = true;
      let evicteesIdle = true;
      for (const eviction of evict) {
        const other = view.models.find((m) => m.name === eviction.model);
        if (!other || other.state !== "awake") continue;
        if (other.inFlight > 0) {
          evicteesQuiet = false;
          evicteesIdle = false;
        }
        const at = (other.lastAdmitAt ?? -Infinity) + Math.min(costMs, maxWaitMs / 2);
        if (at > view.now) evicteesQuiet = false;
        quietAt = Math.max(quietAt, at);
      }
      const oldest = model.queue[0] ?? view.now;
      options.push({ model, evict, costMs, mustStartAt: oldest + Math.max(0, maxWaitMs - costMs), evicteesQuiet, quietAt, evicteesIdle });
    }
    // Candidates served before this one each add a switch to its wait: bring
    // the bound forward by that many switches so it still holds.
    const byAge = [...options].sort((a, b) => (a.model.queue[0] ?? 0) - (b.model.queue[0] ?? 0));
    byAge.forEach((option, ahead) => {
      const oldest = option.model.queue[0] ?? view.now;
      option.mustStartAt = oldest + Math.max(0, maxWaitMs - option.costMs * (ahead + 1));
    });
    const ready = options.filter((o) => o.evict.length === 0 || o.evicteesQuiet || o.mustStartAt <= view.now || outweighs(view, o));
    for (const option of options) {
      if (!ready.includes(option)) {
        later(option.mustStartAt);
        if (option.evicteesIdle && option.quietAt > view.now) later(option.quietAt);
        later(Math.ceil(outweighAt(view, option)));
      }
    }
    const urgent = ready.filter((o) => o.mustStartAt <= view.now).sort((a, b) => a.mustStartAt - b.mustStartAt);
    // A younger model may go first only if no older one would then miss its
    // bound (its wait grows by this switch and the drain after it).
    const fair = ready.filter((o) =>
      options.every((other) => other === o || (other.model.queue[0] ?? 0) >= (o.model.queue[0] ?? 0) || other.mustStartAt >= view.now + 2 * o.costMs),
    );
    const chosen = urgent[0] ?? fair.sort((a, b) => score(b, view.now) - score(a, view.now))[0];
    if (!chosen) return recheckAt === undefined ? { action: "wait" } : { action: "wait", recheckAt };
    // min_active_secs yields to the hard bound.
    const until = minActiveUntil(view, chosen.evict);
    if (until !== undefined && chosen.mustStartAt > view.now) return { action: "wait", recheckAt: Math.min(until, chosen.mustStartAt) };
    const reason =
      chosen.evict.length === 0
        ? "fits without eviction"
        : chosen.mustStartAt <= view.now
          ? "max_wait bound"
          : chosen.evicteesQuiet
            ? "evictees quiet"
            : "waiting outweighs the switch";
    return { action: "switch", model: chosen.model.name, evict: chosen.evict, reason };
  },
};

/**
 * How much more waiting the target's queue must have accumulated than the
 * switch costs the evictees' in-flight requests before it pays off. 2 was the
 * best trade-off between median and p99 on the committed traces (1 switches
 * nearly as often as fifo; 4 and up stretch the p99).
 */
const WORK_FACTOR = 2;

/**
 * Ski-rental rule: switch once the request-seconds already waited for the
 * target reach WORK_FACTOR × (in-flight requests of the evictees, at least 1)
 * × the switch cost: the waiting already paid justifies what the switch costs.
 */
function outweighs(view: PolicyView, option: Option): boolean {
  return outweighAt(view, option) <= view.now;
}

/** When `outweighs` becomes true if nothing else changes. */
function outweighAt(view: PolicyView, option: Option): number {
  const waited = option.model.queue.reduce((sum, at) => sum + (view.now - at), 0);
  let inFlight = 0;
  for (const eviction of option.evict) inFlight += view.models.find((m) => m.name === eviction.model)?.inFlight ?? 0;
  const threshold = WORK_FACTOR * Math.max(1, inFlight) * option.costMs;
  if (waited >= threshold) return view.now;
  return view.now + (threshold - waited) / Math.max(1, option.model.queue.length);
}

/** Waiting work (request-seconds) per millisecond of switching. */
function score(option: Option, now: number): number {
  const waited = option.model.queue.reduce((sum, at) => sum + (now - at), 0) + option.model.queue.length;
  return waited / Math.max(1, option.costMs);
}
