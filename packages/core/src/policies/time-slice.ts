import { planEvictions } from "../budget.js";
import { candidates, type Eviction, type Policy, type PolicyDecision, type PolicyModelView, type PolicyView } from "../policy.js";
import { minActiveUntil, switchCostMs } from "./estimate.js";

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
 * Full batches that must wait before pausing pays. Tuned on the tuning seeds
 * only: with every due switch pausing, light traces lost up to 1.41× against
 * fifo; one batch still lost 1.19× on `light@1`; two kept every light trace
 * within 0.90–0.98× and most of the gain under overload.
 */
const PAUSE_BATCHES = 2;

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
 * generation already running), then a switch. So a first wait is at most
 * `max_wait_secs` + K × (the longest generation + the longest switch's sleep
 * and wake), within capacity (above it a turn's work grows with the queue).
 * The old promise, `max_wait_secs` + one drain + one switch, holds only with
 * one other model waiting. With a drain budget (`max_drain_secs`) and
 * enough waiting (`pausePays`), a due switch does not wait for the last
 * `STRAGGLERS` generations: it pauses them, and they resume in the model's
 * next turn.
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
    const pause = pausePays(view);
    const dueNow = due && (runningUntil(view, due.evict) <= view.now || (pause && onlyStragglers(view, due.evict))) ? due : undefined;
    const chosen = dueNow ?? idle;
    if (chosen) {
      const until = minActiveUntil(view, chosen.evict);
      if (until === undefined || chosen.dueAt <= view.now) {
        const evict = pause ? chosen.evict : chosen.evict.map((eviction) => ({ ...eviction, pause: false }));
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
 * Pausing pays only when much more waits than it holds back: a paused
 * generation waits a whole round (every other model with work takes its
 * turn) before it resumes, and the long generations a switch pauses are most
 * of the slowest 1%. So a due switch pauses (and lets its drain pause) only
 * while the requests waiting for models that are not awake fill
 * `PAUSE_BATCHES` batches of the smallest admission limit among those
 * models; otherwise it waits for its generations, as without a drain budget.
 */
function pausePays(view: PolicyView): boolean {
  let waiting = 0;
  let batch = Infinity;
  for (const model of view.models) {
    if (model.state === "awake" || model.queue.length === 0) continue;
    waiting += model.queue.length;
    batch = Math.min(batch, model.admitLimit);
  }
  return waiting >= PAUSE_BATCHES * batch;
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
    const ahead = waitingSince.filter((at) => at < oldest).length;
    const perTurnMs = switchCostMs(view, model, evict) + drainAllowanceMs(view, evict);
    turns.push({ model, evict, oldest, dueAt: oldest + maxWaitMs - ahead * perTurnMs });
  }
  return turns;
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
