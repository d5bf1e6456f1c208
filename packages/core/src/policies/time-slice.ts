import { planEvictions } from "../budget.js";
import { candidates, type Eviction, type Policy, type PolicyDecision, type PolicyModelView, type PolicyView } from "../policy.js";
import { bringUpCostMs, evictionCostMs, minActiveUntil, switchCostMs, wakeCostMs } from "./estimate.js";

/** A model that could be brought up now. */
interface Turn {
  model: PolicyModelView;
  evict: Eviction[];
  /** Arrival of its oldest waiting request. */
  oldest: number;
  /** When its switch must start for its oldest request to keep the bound. */
  dueAt: number;
}

/**
 * A due switch pauses the generations still running on a model that can
 * pause them (`max_drain_secs`) once at most this many remain: the batch has
 * emptied to its longest stragglers, and waiting for them (up to a
 * 4,096-token generation, 100 s at 40 tokens/s) leaves the GPU nearly idle
 * while every other model waits. More than this still running is a busy
 * batch: the switch waits for it, as without preemption. Tuned on the
 * tuning seeds (2, 3 and 5 tried; 3 with `max_preemptions` 1).
 */
const STRAGGLERS = 3;

/**
 * Turns of bounded length. The awake model keeps the GPU until the oldest
 * request waiting for another model has waited `max_wait_secs`, less one
 * switch and one drain for every model whose request is older (those go
 * first): then that model is due. Until then, the plan tells the awake model
 * the time of that switch, and admission lets in only what is expected to
 * finish by then, so the drain ends near the planned time. It also switches
 * at once when the models it would evict have nothing in flight and nothing
 * waiting, and when the target fits without evicting.
 *
 * The bound, what it can keep with K models waiting: each of them takes a
 * turn ahead of a request whose model is not awake, and a turn ends no
 * sooner than the longest generation it started with (no plan shortens a
 * generation already running), then a switch. A turn that begins with more
 * requests waiting than the model admits at once lets them in a batch at a
 * time, so it lasts up to a generation per batch. So a first wait is at most
 * `max_wait_secs` + for each of at most K turns (one switch's sleep and wake
 * + the longest generation per batch), and `max_wait_secs` + K × (the
 * longest generation + the longest switch) only while every turn begins
 * with one batch (a burst of more is what breaks it within capacity; above
 * capacity every turn's work grows with the queue).
 * The old promise, `max_wait_secs` + one drain + one switch, holds only with
 * one other model waiting. With a drain budget (`max_drain_secs`), a due
 * switch does not wait for the last `STRAGGLERS` generations when pausing
 * them lowers the longest wait (`pausePays`): it pauses them, and they
 * resume in the model's next turn.
 */
export const timeSlicePolicy: Policy = {
  name: "time_slice",
  decide(view: PolicyView): PolicyDecision {
    const turns = buildTurns(view);
    if (turns.length === 0) return { action: "wait" };
    const free = turns.find((turn) => turn.evict.length === 0);
    if (free) return { action: "switch", model: free.model.name, evict: free.evict, reason: "fits without eviction" };
    const byAge = [...turns].sort((a, b) => a.oldest - b.oldest);
    const due = byAge.find((turn) => turn.dueAt <= view.now);
    const idle = byAge.find((turn) => turn.evict.every((eviction) => isIdle(view, eviction.model)));
    // A due switch waits for the generations already running (the drain
    // would wait for them anyway) while the model they run on keeps
    // admitting what finishes by then: the GPU works instead of draining.
    const pause = due !== undefined && pausePays(view, due);
    const dueNow = due && (runningUntil(view, due.evict) <= view.now || (pause && onlyStragglers(view, due.evict))) ? due : undefined;
    const chosen = dueNow ?? idle;
    if (chosen) {
      const until = minActiveUntil(view, chosen.evict);
      if (until === undefined || chosen.dueAt <= view.now) {
        const evict = pause && chosen === due ? chosen.evict : chosen.evict.map((eviction) => ({ ...eviction, pause: false }));
        return { action: "switch", model: chosen.model.name, evict, reason: dueNow ? "due: max_wait bound" : "evictees idle" };
      }
    }
    const closeAt: Record<string, number> = {};
    let recheckAt = Infinity;
    for (const turn of turns) {
      recheckAt = Math.min(recheckAt, Math.max(turn.dueAt, runningUntil(view, turn.evict)));
      for (const eviction of turn.evict) {
        const running = view.models.find((m) => m.name === eviction.model)?.inFlightEndsAt ?? -Infinity;
        closeAt[eviction.model] = Math.min(closeAt[eviction.model] ?? Infinity, Math.max(turn.dueAt, running));
      }
    }
    const until = chosen ? minActiveUntil(view, chosen.evict) : undefined;
    if (until !== undefined) recheckAt = Math.min(recheckAt, until);
    return { action: "wait", recheckAt: Math.max(view.now + 1, Math.ceil(recheckAt)), closeAt };
  },
};

/** When the generations running on the models to evict are expected to end. */
function runningUntil(view: PolicyView, evict: readonly Eviction[]): number {
  let end = -Infinity;
  for (const eviction of evict) {
    const model = view.models.find((m) => m.name === eviction.model);
    if (model?.state === "awake" && model.inFlight > 0 && model.inFlightEndsAt !== null) end = Math.max(end, model.inFlightEndsAt);
  }
  return end;
}

/**
 * Pausing pays when it lowers the longest wait, the one the slowest 1% see.
 * Not pausing, the oldest request waiting for a model that is not awake
 * waits the rest R of the longest generation in flight (the drain), then
 * its switch S; the generations that would be paused finish after R. Pausing,
 * that request waits only S, and each paused generation waits for its
 * model's next turn (the round: the switch to the target, a turn of every
 * model with requests waiting, all of them older, and the switch back)
 * before its R. With A the age of the oldest generation that would be
 * paused and O that of the oldest waiting request, pausing lowers the
 * larger of the two latencies when A + round + R < O + R + S, that is
 * A + round < O + S: R cancels. So a generation is paused only for requests
 * that have waited longer than it will have by its next turn. Far below
 * capacity the round is short and the stragglers of a turn are younger than
 * the requests its drain holds up; when many models wait a whole turn each,
 * the round is long and the switch drains.
 */
function pausePays(view: PolicyView, due: Turn): boolean {
  let pausedSince = Infinity;
  let sleepMs = 0;
  let wakeBackMs = 0;
  for (const eviction of due.evict) {
    const model = view.models.find((m) => m.name === eviction.model);
    if (!model) continue;
    if (model.pausableSince !== null) pausedSince = Math.min(pausedSince, model.pausableSince);
    sleepMs = Math.max(sleepMs, evictionCostMs(model, eviction));
    wakeBackMs = Math.max(wakeBackMs, wakeCostMs(model, eviction));
  }
  if (pausedSince === Infinity) return false;
  let roundMs = wakeBackMs;
  let oldest = Infinity;
  for (const model of view.models) {
    if (model.state === "awake" || model.queue.length === 0) continue;
    oldest = Math.min(oldest, model.queue[0] ?? Infinity);
    roundMs += sleepMs + bringUpCostMs(model) + turnMs(view, model);
  }
  return view.now - pausedSince + roundMs < view.now - oldest + sleepMs + bringUpCostMs(due.model);
}

/**
 * How long `model` keeps the GPU once it is up: a batch of its requests per
 * admission limit, each batch as long as its slowest (the 90th percentile of
 * measured slot times); once another model is due (`max_wait_secs`) it still
 * finishes the generations it runs.
 */
function turnMs(view: PolicyView, model: PolicyModelView): number {
  const maxWaitMs = view.config.max_wait_secs * 1000;
  const batchMs = model.heldP90Ms ?? model.drain?.p90Ms ?? maxWaitMs;
  return Math.min(maxWaitMs + batchMs, Math.ceil(model.queue.length / Math.max(1, model.admitLimit)) * batchMs);
}

/** Every model to evict can pause what it runs, and runs at most `STRAGGLERS` generations. */
function onlyStragglers(view: PolicyView, evict: readonly Eviction[]): boolean {
  return evict.every((eviction) => {
    const model = view.models.find((m) => m.name === eviction.model);
    return model === undefined || model.inFlight === 0 || (model.maxDrainSecs !== null && model.inFlight <= STRAGGLERS);
  });
}

function buildTurns(view: PolicyView): Turn[] {
  const maxWaitMs = view.config.max_wait_secs * 1000;
  const waitingSince = view.models.filter((m) => m.queue.length > 0 && m.state !== "awake").map((m) => m.queue[0] ?? view.now);
  const turns: Turn[] = [];
  for (const model of candidates(view)) {
    const evict = planEvictions(view, model);
    if (!evict) continue;
    const oldest = model.queue[0] ?? view.now;
    const perTurnMs = switchCostMs(view, model, evict) + drainAllowanceMs(view, evict);
    turns.push({ model, evict, oldest, dueAt: dueAt(oldest, waitingSince, maxWaitMs, perTurnMs) });
  }
  return turns;
}

/**
 * When a model whose oldest request arrived at `oldest` is due: that
 * arrival plus `max_wait_secs`, less one turn (`perTurnMs`: a switch and a
 * drain) for each model waiting since earlier (`waitingSince`), which go
 * first. The overload plan reckons due times with it too.
 */
export function dueAt(oldest: number, waitingSince: readonly number[], maxWaitMs: number, perTurnMs: number): number {
  let ahead = 0;
  for (const at of waitingSince) if (at < oldest) ahead++;
  return oldest + maxWaitMs - ahead * perTurnMs;
}

/** The measured drain (90th percentile) of the models to evict; each model served first adds one. */
function drainAllowanceMs(view: PolicyView, evict: readonly Eviction[]): number {
  let allowance = 0;
  for (const eviction of evict) {
    const model = view.models.find((m) => m.name === eviction.model);
    if (model?.drain) allowance = Math.max(allowance, model.drain.p90Ms);
  }
  return allowance;
}

function isIdle(view: PolicyView, name: string): boolean {
  const model = view.models.find((m) => m.name === name);
  return model === undefined || model.state !== "awake" || (model.inFlight === 0 && model.queue.length === 0);
}
