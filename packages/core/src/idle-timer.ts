import type { TimerHandle } from "./clock.js";
import type { MuxState } from "./mux-state.js";
import type { Slot } from "./slot.js";

/** When `slot` is next due for an idle action, or undefined when none applies. */
function dueAt(slot: Slot): { at: number; since: number; action: "sleep" | "stop" } | undefined {
  if (slot.busy || slot.leases.size > 0 || slot.waiters.length > 0 || slot.engine === null) return undefined;
  if (slot.state === "awake" && slot.config.idle_timeout_secs > 0) {
    const quietSince = Math.max(slot.stateSince, slot.lastAdmitAt ?? 0, slot.lastReleaseAt ?? 0);
    return { at: quietSince + slot.config.idle_timeout_secs * 1000, since: quietSince, action: slot.config.sleep_level === 3 ? "stop" : "sleep" };
  }
  if (slot.state === "asleep" && slot.config.asleep_timeout_secs > 0) {
    return { at: slot.stateSince + slot.config.asleep_timeout_secs * 1000, since: slot.stateSince, action: "stop" };
  }
  return undefined;
}

/**
 * Puts models to sleep after `idle_timeout_secs` without a request, and stops
 * sleepers after `asleep_timeout_secs` (freeing the host RAM a level-1 sleeper
 * holds). One timer for the earliest deadline, re-armed after every change the
 * multiplexer schedules on; a model with a request queued or in flight, or in a
 * switch, is never touched.
 */
export class IdleTimer {
  readonly #mux: MuxState;
  readonly #act: (slot: Slot, action: "sleep" | "stop") => Promise<void>;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;

  /** `act` puts the model away (a switch with trigger `idle`). */
  constructor(mux: MuxState, act: (slot: Slot, action: "sleep" | "stop") => Promise<void>) {
    this.#mux = mux;
    this.#act = act;
  }

  /** Make sure a timer fires by the earliest deadline. */
  arm(): void {
    const mux = this.#mux;
    if (mux.closing) return this.cancel();
    let earliest = Infinity;
    for (const slot of mux.slots.values()) earliest = Math.min(earliest, dueAt(slot)?.at ?? Infinity);
    if (earliest === Infinity || earliest >= this.#timerAt) return;
    this.cancel();
    this.#timerAt = earliest;
    this.#timer = mux.clock.setTimeout(() => this.#fire(), Math.max(0, earliest - mux.clock.now()));
  }

  cancel(): void {
    if (this.#timer !== undefined) this.#mux.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const mux = this.#mux;
    if (mux.closing) return;
    const now = mux.clock.now();
    for (const slot of mux.slots.values()) {
      const due = dueAt(slot);
      if (!due || due.at > now) continue;
      mux.emit({ type: "idle", model: slot.name, at: now, action: due.action, idleMs: now - due.since, from: slot.state === "asleep" ? "asleep" : "awake" });
      this.#act(slot, due.action).catch(() => {
        // A failed sleep escalates to a stop inside the runner; closing rejects: nothing left to do.
      });
    }
    this.arm();
  }
}
