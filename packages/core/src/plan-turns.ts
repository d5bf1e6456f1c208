import { expectedSleepMs, expectedWakeMs } from "./costs.js";
import { dueAt } from "./policies/time-slice.js";
import { evictionLevel } from "./reconfigure.js";
import type { Slot } from "./slot.js";

/** A queue in the wait plan: only its requests' arrivals matter here. */
type PlanQueues = ReadonlyMap<Slot, readonly { arrivedAt: number }[]>;

/**
 * The model time_slice switches to at `at`: of those due by then, the one
 * whose oldest request is oldest; with none due, the oldest of all. A model
 * whose requests are younger can be due first (its due time counts a turn
 * for each older one), and then it goes first.
 */
export function nextInLine(queues: PlanQueues, current: Slot | null, maxWaitMs: number, served: ReadonlySet<Slot>, at: number): Slot | null {
  const due = dueTimes(queues, current, maxWaitMs, served);
  let next: Slot | null = null;
  let nextDue = false;
  let oldest = Infinity;
  for (const [slot, dueAt] of due) {
    const first = queues.get(slot)?.[0]?.arrivedAt ?? Infinity;
    const isDue = dueAt <= at;
    if ((isDue && !nextDue) || (isDue === nextDue && first < oldest)) {
      oldest = first;
      next = slot;
      nextDue = isDue;
    }
  }
  return next;
}

/**
 * When each model with requests in the plan, other than `current`, is due
 * as time_slice reckons it: its oldest request's arrival plus
 * `max_wait_secs`, less a switch (`current`'s sleep and its drain, the
 * model's bring-up) for each model whose oldest request is older.
 */
export function dueTimes(queues: PlanQueues, current: Slot | null, maxWaitMs: number, served: ReadonlySet<Slot>): Map<Slot, number> {
  const waiting: [Slot, number][] = [];
  for (const [slot, queue] of queues) {
    const first = queue[0]?.arrivedAt;
    if (slot !== current && first !== undefined) waiting.push([slot, first]);
  }
  const waitingSince = waiting.map(([, first]) => first);
  const awayMs = current === null ? 0 : slotSleepMs(current) + (current.service.drain()?.p90Ms ?? 0);
  const due = new Map<Slot, number>();
  for (const [slot, first] of waiting) {
    due.set(slot, dueAt(first, waitingSince, maxWaitMs, awayMs + slotBringUpMs(slot, !served.has(slot) && slot.state === "stopped")));
  }
  return due;
}

/** Expected time (ms) to bring `slot` up: a cold start, or a wake from the level it sleeps (or will sleep) at. */
export function slotBringUpMs(slot: Slot, cold: boolean): number {
  const level = slot.state === "asleep" || slot.state === "waking" ? (slot.asleepLevel ?? slot.config.sleep_level) : evictionLevel(slot, false);
  return expectedWakeMs(slot.costs, cold ? 3 : level);
}

/** Expected time (ms) to put `slot` away after its turn. */
export function slotSleepMs(slot: Slot): number {
  return expectedSleepMs(slot.costs, evictionLevel(slot, false));
}

/**
 * What is left (ms) of a sleep or stop under way: the next model's bring-up
 * waits for it (the GPU memory is still held).
 */
export function awayLeftMs(slot: Slot, now: number): number {
  if (slot.state !== "sleeping" && slot.state !== "stopping") return 0;
  return leftMs(slot, expectedSleepMs(slot.costs, slot.state === "stopping" ? 3 : evictionLevel(slot, false)), now);
}

/** What is left (ms) of a wake or cold start under way. */
export function bringUpLeftMs(slot: Slot, now: number): number {
  return leftMs(slot, slotBringUpMs(slot, slot.state === "starting"), now);
}

/** What is left (ms) of a transition expected to take `expectedMs`, under way since `slot` entered its state. */
function leftMs(slot: Slot, expectedMs: number, now: number): number {
  return Math.max(0, expectedMs - (now - slot.stateSince));
}
