import { ShuttingDownError } from "@llmux/types";
import type { SleepLevel } from "@llmux/types";
import { recordCost } from "./costs.js";
import { ModelStartFailedError, PreemptedError, SwitchFailedError, messageOf } from "./errors.js";
import type { SwitchPhase, SwitchRecord, SwitchTrigger } from "./events.js";
import type { MuxState } from "./mux-state.js";
import { planEvictions } from "./budget.js";
import { stopEngine, createEngine } from "./engine-lifecycle.js";
import type { Eviction } from "./policy.js";
import { buildPolicyView } from "./policy-view.js";
import type { Slot } from "./slot.js";
import { warmUpIfWanted } from "./warmup.js";
import { pausePreemptible } from "./preemption.js";
import { evictionLevel } from "./reconfigure.js";
import { assignPlacement } from "./placement.js";
import { enginePhase, timedPhase } from "./timed-phase.js";

interface ActiveSwitch {
  controller: AbortController;
  done: Promise<void>;
  slots: Slot[];
}

/** A switch's record while it runs. */
interface SwitchDraft {
  phases: SwitchPhase[];
  paused: NonNullable<SwitchRecord["paused"]>;
  result: SwitchRecord["result"];
}

/**
 * Carries out switches: drain and sleep (or stop) the evictees, then wake (or
 * cold-start) the target, with every bound, escalation and fallback of the
 * lifecycle. Every switch, whatever started it, is recorded in the history.
 * One instance per multiplexer.
 */
export class SwitchRunner {
  readonly #mux: MuxState;
  readonly #active = new Set<ActiveSwitch>();
  #nextId = 1;

  constructor(mux: MuxState) {
    this.#mux = mux;
  }

  /** Start a switch to `target` for the requests queued for it; the promise settles when it is over (never rejects). */
  run(target: Slot, evictions: readonly Eviction[], reason: string): Promise<void> {
    const slots = [target, ...evictions.map((e) => this.#slot(e.model))];
    return this.#track(slots, (signal) => this.#switch(target, evictions, reason, "request", signal));
  }

  /** Sleep or stop (level 3) one model, after any switch touching it. */
  async adminEvict(slot: Slot, level: 1 | 2 | 3, trigger: SwitchTrigger): Promise<void> {
    await this.#whenIdle([slot]);
    if (this.#mux.closing) throw new ShuttingDownError();
    if (slot.state === "stopped") return;
    if (slot.state === "asleep" && level !== 3) return;
    const action = level === 3 ? "stop" : "sleep";
    await this.#track([slot], (signal) =>
      this.#recorded({ trigger, from: [slot.name], to: null, reason: `${trigger} ${action}` }, signal, (draft) =>
        this.#evict(slot, { model: slot.name, action }, level, draft, signal),
      ),
    );
  }

  /** Stop a model nothing runs on (a reload removed it or changed its settings); the caller checked it is not busy. */
  stopIdle(slot: Slot): Promise<void> {
    return this.#track([slot], (signal) =>
      this.#recorded({ trigger: "reload", from: [slot.name], to: null, reason: "reload stop" }, signal, (draft) => this.#stop(slot, draft.phases)).catch(() => {
        // Recorded as failed; the next scheduling pass looks at the model again.
      }),
    );
  }

  /** Bring `slot` up now, making room with the default eviction plan. */
  async adminWake(slot: Slot, trigger: SwitchTrigger): Promise<void> {
    for (;;) {
      if (this.#mux.closing) throw new ShuttingDownError();
      if (slot.state === "awake" && !slot.busy) return;
      const view = buildPolicyView(this.#mux, slot.name);
      const model = view.models.find((m) => m.name === slot.name);
      const plan = model && !model.busy ? planEvictions(view, model) : null;
      if (plan && model) {
        assignPlacement(this.#mux, slot, model.gpus);
        let failure: unknown;
        await this.#track([slot, ...plan.map((e) => this.#slot(e.model))], async (signal) => {
          try {
            await this.#switch(slot, plan, `${trigger} wake`, trigger, signal, true);
          } catch (error) {
            failure = error;
          }
        });
        if (failure) throw failure;
        if (slot.state !== "awake") throw new SwitchFailedError(slot.name, slot.lastError ?? "it did not come up");
        return;
      }
      await this.#whenIdle([...this.#mux.slots.values()].filter((s) => s.busy));
    }
  }

  /** Abort every switch in progress and wait for them to unwind. */
  async abortAll(reason: Error): Promise<void> {
    const active = [...this.#active];
    for (const entry of active) entry.controller.abort(reason);
    await Promise.allSettled(active.map((entry) => entry.done));
  }

  async #whenIdle(slots: Slot[]): Promise<void> {
    for (;;) {
      const blocking = [...this.#active].filter((entry) => entry.slots.some((s) => slots.includes(s)));
      if (blocking.length === 0) return;
      await Promise.allSettled(blocking.map((entry) => entry.done));
    }
  }

  #slot(name: string): Slot {
    const slot = this.#mux.slots.get(name);
    if (!slot) throw new Error(`internal: unknown model ${name}`);
    return slot;
  }

  #track(slots: Slot[], body: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    const gpus = new Set(slots.flatMap((slot) => slot.config.gpus));
    for (const slot of slots) slot.busy = true;
    for (const gpu of gpus) this.#mux.lockedGpus.add(gpu);
    const entry: ActiveSwitch = { controller, slots, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        await body(controller.signal);
      } finally {
        for (const slot of slots) slot.busy = false;
        for (const gpu of gpus) this.#mux.lockedGpus.delete(gpu);
        this.#active.delete(entry);
        this.#mux.schedule();
      }
    })();
    this.#active.add(entry);
    return entry.done;
  }

  /** Bring `target` up after putting `evictions` away; failures reject the target's waiters (and the caller's promise with `rethrow`). */
  async #switch(target: Slot, evictions: readonly Eviction[], reason: string, trigger: SwitchTrigger, signal: AbortSignal, rethrow = false): Promise<void> {
    const mux = this.#mux;
    let failure: Error | undefined;
    const switched = this.#recorded({ trigger, from: evictions.map((e) => e.model), to: target.name, reason }, signal, async (draft) => {
      try {
        const evictees = evictions.map((e) => this.#slot(e.model));
        // Stop admitting to the evictees and drain them together.
        for (const slot of evictees) if (slot.state === "awake") mux.setState(slot, "draining");
        await Promise.all(evictees.map((slot) => this.#drain(slot, draft, signal)));
        if (mux.closing) throw new ShuttingDownError();
        if (target.waiters.length === 0 && !rethrow) {
          // Every request that wanted the target left while we drained: no switch.
          for (const slot of evictees) if (slot.state === "draining" && slot.engine) mux.setState(slot, "awake");
          draft.result = "aborted";
          return;
        }
        await Promise.all(
          evictions.map((eviction, index) => {
            const slot = evictees[index];
            if (!slot) return Promise.resolve();
            return this.#evict(slot, eviction, evictionLevel(slot, eviction.action === "stop"), draft, signal, true);
          }),
        );
        if (mux.closing) throw new ShuttingDownError();
        await this.#bringUp(target, draft.phases, signal);
      } catch (caught) {
        const closed = signal.aborted || mux.closing;
        const error = closed
          ? new ShuttingDownError({ cause: caught })
          : caught instanceof Error && "code" in caught
            ? caught
            : new SwitchFailedError(target.name, caught);
        failure = error;
        target.lastError = messageOf(caught);
        mux.rejectAllWaiters(target, () => error);
        throw caught;
      }
    });
    await switched.catch(() => {
      if (rethrow && failure) throw failure;
    });
  }

  /**
   * Run `body` as one recorded switch: `switch-start`, then the record (phases,
   * result, error, measured drains, paused requests) in history and `switch-end`,
   * whatever the outcome. Rejects as `body` does.
   */
  async #recorded(
    start: { trigger: SwitchTrigger; from: string[]; to: string | null; reason: string },
    signal: AbortSignal,
    body: (draft: SwitchDraft) => Promise<void>,
  ): Promise<void> {
    const mux = this.#mux;
    const clock = mux.clock;
    const id = this.#nextId++;
    const startedAt = clock.now();
    const { trigger, from, to } = start;
    const draft: SwitchDraft = { phases: [], paused: [], result: "ok" };
    mux.emit({ type: "switch-start", id, at: startedAt, ...start });
    let error: unknown;
    try {
      await body(draft);
    } catch (caught) {
      error = caught;
      draft.result = signal.aborted || mux.closing ? "aborted" : "failed";
      throw caught;
    } finally {
      const record: SwitchRecord = { id, trigger, from, to, startedAt, durationMs: clock.now() - startedAt, phases: draft.phases, result: draft.result };
      if (error !== undefined) record.error = messageOf(error);
      const drains = from.flatMap((model) => {
        const drain = mux.slots.get(model)?.service.drain();
        return drain ? [{ model, avgMs: drain.avgMs, p90Ms: drain.p90Ms }] : [];
      });
      if (drains.length > 0) record.drains = drains;
      if (draft.paused.length > 0) record.paused = draft.paused;
      mux.remember(record);
      mux.emit({ type: "switch-end", record });
    }
  }

  /** Resolve when `slot` has no lease, after `ms`, or on abort. */
  #idleWithin(slot: Slot, ms: number, signal: AbortSignal): Promise<void> {
    const clock = this.#mux.clock;
    return new Promise<void>((resolve) => {
      const finish = () => {
        clock.clearTimeout(timer);
        signal.removeEventListener("abort", finish);
        slot.idleListeners = slot.idleListeners.filter((listener) => listener !== finish);
        resolve();
      };
      const timer = clock.setTimeout(finish, Math.max(0, ms));
      signal.addEventListener("abort", finish, { once: true });
      slot.idleListeners.push(finish);
    });
  }

  /** Wait for `slot`'s leases to end (pausing or revoking them past their bounds), as a timed `drain` phase. */
  async #drain(slot: Slot, draft: SwitchDraft, signal: AbortSignal): Promise<void> {
    const mux = this.#mux;
    const drainMs = await timedPhase(mux.clock, draft.phases, { phase: "drain", model: slot.name }, async () => {
      const started = mux.clock.now();
      const policy = mux.config.policy;
      if (!policy.drain_before_switch) {
        if (slot.leases.size > 0) {
          mux.emit({ type: "preempted", model: slot.name, at: started, leases: slot.leases.size, reason: "drain_before_switch is false" });
          slot.preempted = true;
          mux.revokeLeases(slot, new PreemptedError(slot.name, "another model needed the GPU and drain_before_switch is false"));
        }
      } else if (slot.leases.size > 0) {
        const timeoutMs = policy.drain_timeout_secs * 1000;
        const budgetMs = slot.config.max_drain_secs === null ? timeoutMs : Math.min(timeoutMs, slot.config.max_drain_secs * 1000);
        await this.#idleWithin(slot, budgetMs, signal);
        if (budgetMs < timeoutMs && slot.leases.size > 0 && !signal.aborted) {
          const requests = pausePreemptible(mux, slot, mux.clock.now() - started);
          if (requests.length > 0) draft.paused.push({ model: slot.name, requests });
          if (slot.leases.size > 0) await this.#idleWithin(slot, timeoutMs - (mux.clock.now() - started), signal);
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
  async #evict(slot: Slot, eviction: Eviction, level: 1 | 2 | 3, draft: SwitchDraft, signal: AbortSignal, drained = false): Promise<void> {
    const mux = this.#mux;
    if (!drained && slot.state === "awake") {
      mux.setState(slot, "draining");
      await this.#drain(slot, draft, signal);
    }
    const engine = slot.engine;
    if (!engine || slot.state === "stopped") {
      mux.setState(slot, "stopped");
      return;
    }
    if (eviction.action === "stop" || level === 3) {
      await this.#stop(slot, draft.phases);
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
    mux.emit({ type: "escalation", model: slot.name, at: mux.clock.now(), reason: `sleep level ${level} failed: ${messageOf(failed.error)}`, error: failed.error });
    await this.#stop(slot, draft.phases);
    if (signal.aborted) throw signal.reason;
  }

  /** Stop the slot's engine as a timed `stop` phase (level 3). */
  async #stop(slot: Slot, phases: SwitchPhase[]): Promise<void> {
    const hadEngine = slot.engine !== null;
    const durationMs = await timedPhase(this.#mux.clock, phases, { phase: "stop", model: slot.name, level: 3 }, () => stopEngine(this.#mux, slot));
    if (hadEngine) recordCost(slot.costs, "stop", durationMs);
  }

  /** Wake the target, or cold-start it; a failed wake gets one cold start. */
  async #bringUp(slot: Slot, phases: SwitchPhase[], signal: AbortSignal): Promise<void> {
    const mux = this.#mux;
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
      mux.emit({ type: "escalation", model: slot.name, at: mux.clock.now(), reason: `wake from level ${level} failed: ${messageOf(failed.error)}`, error: failed.error });
      await this.#stop(slot, phases);
      try {
        await this.#coldStart(slot, phases, signal);
      } catch (startError) {
        throw new SwitchFailedError(slot.name, startError);
      }
      return;
    }
    if (slot.engine) await this.#stop(slot, phases);
    await this.#coldStart(slot, phases, signal);
  }

  async #coldStart(slot: Slot, phases: SwitchPhase[], signal: AbortSignal): Promise<void> {
    const mux = this.#mux;
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
}
