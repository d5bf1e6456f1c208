import { estimateMs, longestMs } from "./admission.js";
import type { MuxState } from "./mux-state.js";
import { awayLeftMs, bringUpLeftMs, nextInLine, dueTimes, slotBringUpMs, slotSleepMs } from "./plan-turns.js";
import type { Slot, Waiter } from "./slot.js";

/** One request in the plan: when it arrived and how long it is expected to generate. */
interface Planned {
  arrivedAt: number;
  genMs: number;
  /** The new request whose wait is planned. */
  isNew?: boolean;
  /** When a queued request was promised to go in by (clock ms). */
  promisedBy?: number;
  /** The queued request it stands for, to compare one run of the plan with another. */
  waiter?: Waiter;
}

/** What one run of the plan found: when the new request goes in, and which queued requests go in later than promised. */
interface PlanRun {
  newAt: number | null;
  /** Queued requests with a promise not yet let in. */
  pending: number;
  /** Each promised request planned past its promise, and when it goes in (Infinity: not by the plan's end). */
  late: Map<Waiter, number>;
}

/** A new request's planned wait and the round the bound allows for, both in ms. */
export interface PlannedWait {
  waitMs: number;
  /**
   * K × (the longest generation + the longest switch) over the K models
   * with work (its own included), generations at admission's estimate: a turn of each ahead of it, none shorter
   * than the longest generation it runs, then a switch. `time_slice`'s
   * bound is `max_wait_secs` plus this.
   */
  roundMs: number;
  /**
   * Would letting it in make a request already queued go in later than it
   * was promised (and it would not without the new one)? Then it is
   * refused: a promise made stands.
   */
  collides: boolean;
}

/** Turns planned before giving up: past them the wait is over any limit worth keeping. */
const MAX_TURNS = 64;

/**
 * When the new request for `target` goes into vLLM if llmux serves the
 * queues it holds now in turns, as the turn-based policies do: the awake
 * model admits, at each completion, the requests that waited through the
 * switch that woke it and those that finish before the next model is due
 * (as time_slice reckons it, or the policy's planned switch); the rest wait
 * for its next turn. A turn ends when its generations end, then a switch
 * (sleep, then wake or cold start) to the model time_slice picks then
 * (`nextInLine`). The model serving now is planned both going idle once its
 * queue is served and keeping its turn while its requests come, and the
 * later of the two counts. Each request generates for the
 * most it may (`longestMs`: what it is promised against is its worst case,
 * not the 90th percentile admission plans with), the ones in flight until
 * their lease's latest end; a turn ends its measured drain later; switches
 * cost what was measured, the priors until then. Of the requests still to
 * come, it counts those expected (at the measured arrival rate) for the
 * models served first, and that any other model's next request may start
 * its `max_wait_secs` at once. Returns the wait (ms); once the plan passes
 * `horizonMs` with the new request still waiting it stops there (the wait
 * is at least that). It goes on until every queued request that was
 * promised a wait is in, and says whether the new request would push one
 * of them past its promise, or further past it than it goes without it.
 */
export function plannedWaitMs(mux: MuxState, target: Slot, maxTokens: number | undefined, now: number, horizonMs: number): PlannedWait {
  // The model serving now may go idle whenever its generations end (time_slice then switches to the oldest), or
  // keep its turn while requests keep coming (then to the one due): the plan holds for both.
  const both = (withNew: boolean) => {
    const keeps = runPlan(mux, target, maxTokens, now, horizonMs, withNew, false);
    const idles = runPlan(mux, target, maxTokens, now, horizonMs, withNew, true);
    for (const [waiter, at] of idles.late) keeps.late.set(waiter, Math.max(at, keeps.late.get(waiter) ?? -Infinity));
    return { waitMs: Math.max(keeps.waitMs, idles.waitMs), roundMs: keeps.roundMs, late: keeps.late };
  };
  const withNew = both(true);
  // A promise already broken without it is not the new request's doing, unless it breaks it further.
  const without = withNew.late.size === 0 ? new Map<Waiter, number>() : both(false).late;
  const collides = [...withNew.late].some(([waiter, at]) => at > (without.get(waiter) ?? -Infinity));
  return { waitMs: withNew.waitMs, roundMs: withNew.roundMs, collides };
}

/**
 * One run of the plan, with or without the new request, the model serving now going idle as soon as its queue is
 * served (`idleFirst`) or as its arrival gap says; it goes on past the new request until every promised one is in.
 */
function runPlan(
  mux: MuxState,
  target: Slot,
  maxTokens: number | undefined,
  now: number,
  horizonMs: number,
  withNew: boolean,
  idleFirst: boolean,
): { waitMs: number; roundMs: number; late: Map<Waiter, number> } {
  const maxWaitMs = mux.config.policy.max_wait_secs * 1000;
  const queues = new Map<Slot, Planned[]>();
  const run: PlanRun = { newAt: withNew ? null : now, pending: 0, late: new Map() };
  let models = 0;
  let longestGenMs = 0;
  let longestSwitchMs = 0;
  for (const slot of mux.slots.values()) {
    const queue: Planned[] = [];
    for (let index = 0; index < slot.waiters.length; index++) {
      const waiter = slot.waiters.at(index);
      if (!waiter) continue;
      const promise = waiter.promisedBy === undefined ? {} : { promisedBy: waiter.promisedBy, waiter };
      queue.push({ arrivedAt: waiter.arrivedAt, genMs: longestMs(slot, waiter.maxTokens), ...promise });
      if (waiter.promisedBy !== undefined) run.pending++;
      longestGenMs = Math.max(longestGenMs, estimateMs(slot, waiter.maxTokens));
    }
    if (slot === target && withNew) {
      queue.push({ arrivedAt: now, genMs: longestMs(target, maxTokens), isNew: true });
      longestGenMs = Math.max(longestGenMs, estimateMs(target, maxTokens));
    }
    queues.set(slot, queue);
    if (queue.length === 0 && slot.leases.size === 0) continue;
    models++;
    for (const lease of slot.leases) longestGenMs = Math.max(longestGenMs, lease.expectedEndAt - lease.grantedAt);
    longestSwitchMs = Math.max(longestSwitchMs, slotSleepMs(slot) + slotBringUpMs(slot, false));
  }
  const roundMs = models * (longestGenMs + longestSwitchMs);
  const past = Math.max(horizonMs, 0) + 1;
  // Stopped before every promised request was let in: those whose time has passed are late.
  const result = (waitMs: number) => ({ waitMs: run.newAt === null ? waitMs : run.newAt - now, roundMs, late: withPendingLate(run.late, queues, t) });

  let current = servingSlot(mux, target);
  // The model serving now: from its in-flight leases, or from the end of the switch bringing it up.
  let turnStart = current === null ? now : current.state === "awake" ? (current.awakeSince ?? now) : now + bringUpLeftMs(current, now);
  let slots = current === null ? [] : initialSlots(current, Math.max(now, turnStart));
  const served = new Set<Slot>();
  // With no model up or coming up, a sleep or stop may still be under way: the first bring-up waits for it.
  let t = current === null ? now + longestAwayLeftMs(mux, now) : now;
  // When the policy picks the next model: the turn's end, before the sleep.
  let switchAt = now;
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    if (current !== null) {
      served.add(current);
      const queue = queues.get(current) ?? [];
      const others = [...queues].filter(([slot, q]) => slot !== current && q.length > 0);
      // The next model is due as time_slice reckons it (the policy's own plan wins while it holds).
      let closeAt = Math.min(Infinity, ...dueTimes(queues, current, maxWaitMs, served).values());
      // A model with nothing queued that gets requests may be due from its next one: that can come at any moment.
      if (anyOtherArrives(mux, current, queues, now)) closeAt = Math.min(closeAt, Math.max(now, turnStart) + maxWaitMs);
      if (turn === 0 && current.closeAt !== null && others.length > 0) closeAt = Math.min(closeAt, current.closeAt);
      // A draining model admits nothing more: its turn ends with what it runs.
      if (current.state !== "draining") serveTurn(queue, slots, turnStart, closeAt, run);
      if (run.newAt !== null && run.pending === 0) return result(run.newAt - now);
      if (others.length === 0) return result(Math.max(past, t - now));
      const lastEnd = Math.max(...slots);
      // A turn ends when its drain does: the generations that ran past their estimates (the measured drain, 90th percentile).
      const drainMs = current.service.drain()?.p90Ms ?? 0;
      // With its queue served, a model keeps its turn until it is due unless it goes idle first: no request expected
      // before its last generation ends. Before its arrivals are measured (two), more may come: it keeps its turn.
      const gapMs = current.service.arrivalGapMs(now);
      const idle =
        current.state === "draining" || (queue.length === 0 && ((turn === 0 && idleFirst) || (gapMs !== null && gapMs > lastEnd - Math.max(now, turnStart))));
      t = (idle ? lastEnd : Math.max(closeAt, lastEnd)) + drainMs;
      switchAt = t;
      t += slotSleepMs(current);
      if (t - now > horizonMs && (run.newAt === null || pendingLate(queues, t))) return result(t - now);
    }
    const next = nextInLine(queues, current, maxWaitMs, served, switchAt);
    if (next === null) return result(Math.max(past, t - now));
    if (next !== target) projectArrivals(queues, next, now, t);
    // A model this plan has put away wakes from its sleep level; one never started, or stopped, starts cold.
    t += slotBringUpMs(next, !served.has(next) && next.state === "stopped");
    current = next;
    turnStart = t;
    slots = Array.from({ length: Math.max(1, next.admitLimit) }, () => t);
  }
  return result(Math.max(past, t - now));
}

/**
 * Admit `queue`'s requests in order as `slots` (the times each admission
 * slot frees) allow, noting in `run` when the new request goes in and any
 * promised one that goes in past its promise. Requests that arrived before `turnStart` are the
 * turn's reason and go in whatever the plan; the others only if they finish
 * by `closeAt`, and nothing goes in after it.
 */
function serveTurn(queue: Planned[], slots: number[], turnStart: number, closeAt: number, run: PlanRun): void {
  const left: Planned[] = [];
  for (const request of queue) {
    const index = earliest(slots);
    const freeAt = slots[index] ?? Infinity;
    const reason = request.arrivedAt < turnStart;
    if (reason || (freeAt <= closeAt && freeAt + request.genMs <= closeAt)) {
      slots[index] = freeAt + request.genMs;
      if (request.isNew) run.newAt = freeAt;
      if (request.promisedBy !== undefined) {
        run.pending--;
        if (freeAt > request.promisedBy && request.waiter) run.late.set(request.waiter, freeAt);
      }
    } else {
      left.push(request);
    }
  }
  queue.splice(0, queue.length, ...left);
}

/** The promised requests still waiting in the plan at `t`, past their promise. */
function* waitingPastPromise(queues: Map<Slot, Planned[]>, t: number): Generator<Waiter> {
  for (const queue of queues.values()) {
    for (const request of queue) if (request.waiter && request.promisedBy !== undefined && request.promisedBy < t) yield request.waiter;
  }
}

/** Is a promised request still waiting in the plan at `t`, past its promise? */
function pendingLate(queues: Map<Slot, Planned[]>, t: number): boolean {
  return !waitingPastPromise(queues, t).next().done;
}

/** `late` and the promised requests still waiting in the plan at `t` past their promise (never let in by the plan). */
function withPendingLate(late: Map<Waiter, number>, queues: Map<Slot, Planned[]>, t: number): Map<Waiter, number> {
  for (const waiter of waitingPastPromise(queues, t)) late.set(waiter, Infinity);
  return late;
}

function earliest(slots: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < slots.length; i++) if ((slots[i] ?? Infinity) < (slots[best] ?? Infinity)) best = i;
  return best;
}

/** The model whose turn it is now: `target` when it is up or coming up, else one coming up, else one up or draining, else none. */
function servingSlot(mux: MuxState, target: Slot): Slot | null {
  if (target.state === "awake" || comingUp(target)) return target;
  for (const slot of mux.slots.values()) if (comingUp(slot)) return slot;
  for (const slot of mux.slots.values()) if (slot.state === "awake" || slot.state === "draining") return slot;
  return null;
}

/** Each admission slot's free time: the in-flight leases' latest ends, the rest free from `from`. */
function initialSlots(slot: Slot, from: number): number[] {
  const slots = [...slot.leases].map((lease) => Math.max(from, lease.latestEndAt));
  while (slots.length < Math.max(1, slot.admitLimit)) slots.push(from);
  return slots;
}

function longestAwayLeftMs(mux: MuxState, now: number): number {
  let left = 0;
  for (const slot of mux.slots.values()) left = Math.max(left, awayLeftMs(slot, now));
  return left;
}

function comingUp(slot: Slot): boolean {
  return slot.state === "waking" || slot.state === "starting";
}

/** Requests expected to arrive for `slot` from `now` until `until` (its turn in the plan starts then), each as long as any: they wait through the switch and go in first. */
function projectArrivals(queues: Map<Slot, Planned[]>, slot: Slot, now: number, until: number): void {
  const gapMs = slot.service.arrivalGapMs(now);
  const queue = queues.get(slot);
  // Arrivals for the new request's model queue behind it (the caller skips it); a gap of 0 is a burst seen, not a rate.
  if (gapMs === null || gapMs <= 0 || !queue) return;
  const last = queue.at(-1)?.arrivedAt ?? now;
  const genMs = longestMs(slot, undefined);
  for (let at = Math.max(now, last) + gapMs; at < until; at += gapMs) queue.push({ arrivedAt: at, genMs });
}

/** Does a model other than `current`, with nothing queued in the plan, get requests (two or more seen, the last not long ago)? */
function anyOtherArrives(mux: MuxState, current: Slot, queues: Map<Slot, Planned[]>, now: number): boolean {
  for (const slot of mux.slots.values()) {
    if (slot !== current && (queues.get(slot)?.length ?? 0) === 0 && slot.service.arrivalGapMs(now) !== null) return true;
  }
  return false;
}
