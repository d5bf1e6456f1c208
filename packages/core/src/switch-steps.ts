import type { SleepLevel } from "@llmux/types";
import { recordCost } from "./costs.js";
import { ModelStartFailedError, PreemptedError, SwitchFailedError, messageOf } from "./errors.js";
import type { SwitchPhase, SwitchRecord } from "./events.js";
import type { MuxState } from "./mux-state.js";
import { createEngine, stopEngine } from "./engine-lifecycle.js";
import type { Eviction } from "./policy.js";
import type { Slot } from "./slot.js";
import { warmUpIfWanted } from "./warmup.js";
import { pausePreemptible } from "./preemption.js";
import { enginePhase, timedPhase } from "./timed-phase.js";

/** A switch's record while it runs. */
export interface SwitchDraft {
  phases: SwitchPhase[];
  paused: NonNullable<SwitchRecord["paused"]>;
  result: SwitchRecord["result"];
}

/** Resolve when `slot` has no lease, after `ms`, or on abort. */
function idleWithin(mux: MuxState, slot: Slot, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const finish = () => {
      mux.clock.clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      slot.idleListeners = slot.idleListeners.filter((listener) => listener !== finish);
      resolve();
    };
    const timer = mux.clock.setTimeout(finish, Math.max(0, ms));
    signal.addEventListener("abort", finish, { once: true });
    slot.idleListeners.push(finish);
  });
}

/**
 * Wait for `slot`'s leases to end (pausing them past its drain budget unless
 * `mayPause` is false, revoking them past the drain timeout), as a timed
 * `drain` phase.
 */
export async function drain(mux: MuxState, slot: Slot, draft: SwitchDraft, signal: AbortSignal, mayPause = true): Promise<void> {
  const drainMs = await timedPhase(mux.clock, draft.phases, { phase: "drain", model: slot.name }, async () => {
    const started = mux.clock.now();
    const policy = mux.config.policy;
    if (!policy.drain_before_switch) {
      // What can be resumed is paused, not cut off. A request paused max_preemptions
      // times runs to completion (it drains below); only what cannot be resumed is cut off.
      const requests = pausePreemptible(mux, slot, 0);
      if (requests.length > 0) draft.paused.push({ model: slot.name, requests });
      const cut = [...slot.leases].filter((lease) => !lease.resumable);
      if (cut.length > 0) {
        mux.emit({ type: "preempted", model: slot.name, at: started, leases: cut.length, reason: "drain_before_switch is false" });
        slot.preempted = true;
        const error = new PreemptedError(slot.name, "another model needed the GPU and drain_before_switch is false");
        for (const lease of cut) lease.revoke(error);
      }
    }
    if (slot.leases.size > 0) {
      const timeoutMs = policy.drain_timeout_secs * 1000;
      const budgetMs = slot.config.max_drain_secs === null || !mayPause ? timeoutMs : Math.min(timeoutMs, slot.config.max_drain_secs * 1000);
      await idleWithin(mux, slot, budgetMs, signal);
      if (budgetMs < timeoutMs && slot.leases.size > 0 && !signal.aborted) {
        const requests = pausePreemptible(mux, slot, mux.clock.now() - started);
        if (requests.length > 0) draft.paused.push({ model: slot.name, requests });
        if (slot.leases.size > 0) await idleWithin(mux, slot, timeoutMs - (mux.clock.now() - started), signal);
      }
      if (slot.leases.size > 0) {
        mux.emit({ type: "preempted", model: slot.name, at: mux.clock.now(), leases: slot.leases.size, reason: "drain timed out" });
        slot.preempted = true;
        mux.revokeLeases(slot, new PreemptedError(slot.name, `drain did not finish within ${policy.drain_timeout_secs} s`));
      }
    }
  });
  slot.service.recordDrain(drainMs);
  if (signal.aborted) throw signal.reason;
}

/**
 * Sleep (level 1/2) or stop (3) an evictee. A failed or timed-out sleep
 * escalates to a stop: the GPU memory is freed either way.
 */
export async function evict(
  mux: MuxState,
  slot: Slot,
  eviction: Eviction,
  level: 1 | 2 | 3,
  draft: SwitchDraft,
  signal: AbortSignal,
  drained = false,
): Promise<void> {
  if (!drained && slot.state === "awake") {
    mux.setState(slot, "draining");
    await drain(mux, slot, draft, signal);
  }
  const engine = slot.engine;
  if (!engine || slot.state === "stopped") {
    mux.setState(slot, "stopped");
    return;
  }
  if (eviction.action === "stop" || level === 3) {
    await stopPhase(mux, slot, draft.phases);
    return;
  }
  if (slot.state === "asleep") return;
  // Leases were revoked if the drain was skipped or timed out; vLLM may still be
  // finishing them. vLLM #28714: /sleep with running requests crashes the engine.
  const pauseFirst = slot.preempted;
  slot.preempted = false;
  mux.setState(slot, "sleeping");
  const failed = await enginePhase(
    mux,
    slot,
    engine,
    draft.phases,
    {
      phase: "sleep",
      level,
      what: `sleep level ${level} of ${slot.name}`,
      timeoutMs: mux.config.policy.sleep_timeout_secs * 1000,
      cost: level === 1 ? "sleep1" : "sleep2",
      failure: "sleep failed",
      call: (s) => engine.sleep(level as SleepLevel, { pauseFirst, signal: s }),
    },
    signal,
  );
  if (!failed) {
    slot.asleepLevel = level as SleepLevel;
    mux.setState(slot, "asleep");
    return;
  }
  mux.emit({
    type: "escalation",
    model: slot.name,
    at: mux.clock.now(),
    reason: `sleep level ${level} failed: ${messageOf(failed.error)}`,
    error: failed.error,
  });
  await stopPhase(mux, slot, draft.phases);
  if (signal.aborted) throw signal.reason;
}

/** Stop the slot's engine as a timed `stop` phase (level 3). */
export async function stopPhase(mux: MuxState, slot: Slot, phases: SwitchPhase[]): Promise<void> {
  const hadEngine = slot.engine !== null;
  const durationMs = await timedPhase(mux.clock, phases, { phase: "stop", model: slot.name, level: 3 }, () => stopEngine(mux, slot));
  if (hadEngine) recordCost(slot.costs, "stop", durationMs);
}

/** Wake the target, or cold-start it; a failed wake gets one cold start. */
export async function bringUp(mux: MuxState, slot: Slot, phases: SwitchPhase[], signal: AbortSignal): Promise<void> {
  const engine = slot.engine;
  if (slot.state === "asleep" && engine && slot.asleepLevel !== null) {
    const level = slot.asleepLevel;
    mux.setState(slot, "waking");
    const failed = await enginePhase(
      mux,
      slot,
      engine,
      phases,
      {
        phase: "wake",
        level,
        what: `wake of ${slot.name} from level ${level}`,
        timeoutMs: mux.config.policy.wake_timeout_secs * 1000,
        cost: level === 1 ? "wake1" : "wake2",
        failure: "wake failed",
        call: (s) => engine.wakeUp(level, { signal: s }),
      },
      signal,
    );
    if (!failed) {
      await warmUpIfWanted(mux, slot, engine, phases, signal);
      mux.setState(slot, "awake");
      return;
    }
    if (signal.aborted) {
      await stopEngine(mux, slot);
      throw signal.reason;
    }
    mux.emit({
      type: "escalation",
      model: slot.name,
      at: mux.clock.now(),
      reason: `wake from level ${level} failed: ${messageOf(failed.error)}`,
      error: failed.error,
    });
    await stopPhase(mux, slot, phases);
    try {
      await coldStart(mux, slot, phases, signal);
    } catch (startError) {
      throw new SwitchFailedError(slot.name, startError);
    }
    return;
  }
  if (slot.engine) await stopPhase(mux, slot, phases);
  await coldStart(mux, slot, phases, signal);
}

async function coldStart(mux: MuxState, slot: Slot, phases: SwitchPhase[], signal: AbortSignal): Promise<void> {
  const engine = createEngine(mux, slot);
  if (slot.failedSinceStart) {
    slot.restarts++;
    slot.failedSinceStart = false;
    mux.emit({ type: "restart", model: slot.name, at: mux.clock.now(), restarts: slot.restarts });
  }
  mux.setState(slot, "starting");
  const failed = await enginePhase(
    mux,
    slot,
    engine,
    phases,
    {
      phase: "start",
      what: `start-up of ${slot.name}`,
      timeoutMs: slot.config.startup_timeout_secs * 1000,
      cost: "coldStart",
      failure: "start-up failed",
      call: (s) => engine.start({ signal: s }),
    },
    signal,
  );
  if (!failed) {
    await warmUpIfWanted(mux, slot, engine, phases, signal);
    mux.setState(slot, "awake");
    return;
  }
  // Make sure nothing of a half-started process holds the GPU.
  await stopEngine(mux, slot);
  if (signal.aborted) throw signal.reason;
  const backoffSecs = mux.config.policy.startup_backoff_secs;
  slot.backoffUntil = mux.clock.now() + backoffSecs * 1000;
  slot.backoffCause = failed.error;
  throw new ModelStartFailedError(slot.name, failed.error, backoffSecs > 0 ? backoffSecs : undefined);
}
