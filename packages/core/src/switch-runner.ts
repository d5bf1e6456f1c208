import { ShuttingDownError } from "@llmux/types";
import type { SleepLevel } from "@llmux/types";
import { recordCost } from "./costs.js";
import { ModelStartFailedError, PreemptedError, SwitchFailedError, messageOf } from "./errors.js";
import type { SwitchPhase, SwitchRecord } from "./events.js";
import type { Multiplexer } from "./multiplexer.js";
import { planEvictions } from "./budget.js";
import type { Eviction } from "./policy.js";
import type { Slot } from "./slot.js";
import { warmUpIfWanted } from "./warmup.js";
import { pausePreemptible } from "./preemption.js";
import { evictionLevel } from "./reconfigure.js";
import { assignPlacement } from "./placement.js";
import { withTimeout } from "./with-timeout.js";

interface ActiveSwitch {
  controller: AbortController;
  done: Promise<void>;
  slots: Slot[];
}

/**
 * Carries out switches: drain and sleep (or stop) the evictees, then wake (or
 * cold-start) the target, with every bound, escalation and fallback of the
 * lifecycle. One instance per multiplexer.
 */
export class SwitchRunner {
  readonly #mux: Multiplexer;
  readonly #active = new Set<ActiveSwitch>();
  #nextId = 1;

  constructor(mux: Multiplexer) {
    this.#mux = mux;
  }

  /** Start a switch to `target`; the promise settles when it is over (never rejects). */
  run(target: Slot, evictions: readonly Eviction[], reason: string): Promise<void> {
    const slots = [target, ...evictions.map((e) => this.#slot(e.model))];
    return this.#track(slots, (signal) => this.#switch(target, evictions, reason, signal));
  }

  /** Admin sleep/stop of one model, after any switch touching it. */
  async adminEvict(slot: Slot, level: 1 | 2 | 3): Promise<void> {
    await this.#whenIdle([slot]);
    if (this.#mux.closing) throw new ShuttingDownError();
    if (slot.state === "stopped") return;
    if (slot.state === "asleep" && level !== 3) return;
    await this.#track([slot], async (signal) => {
      const phases: SwitchPhase[] = [];
      await this.#evict(slot, level === 3 ? { model: slot.name, action: "stop" } : { model: slot.name, action: "sleep" }, level, phases, signal);
    });
  }

  /** Stop a model nothing runs on (a reload removed it or changed its settings); the caller checked it is not busy. */
  stopIdle(slot: Slot): Promise<void> {
    return this.#track([slot], async () => {
      await this.#stop(slot, [], "reload");
    });
  }

  /** Admin wake: bring `slot` up, making room with the default eviction plan. */
  async adminWake(slot: Slot): Promise<void> {
    for (;;) {
      if (this.#mux.closing) throw new ShuttingDownError();
      if (slot.state === "awake" && !slot.busy) return;
      const view = this.#mux.view(slot.name);
      const model = view.models.find((m) => m.name === slot.name);
      const plan = model && !model.busy ? planEvictions(view, model) : null;
      if (plan && model) {
        assignPlacement(this.#mux, slot, model.gpus);
        let failure: unknown;
        await this.#track([slot, ...plan.map((e) => this.#slot(e.model))], async (signal) => {
          try {
            await this.#switch(slot, plan, "admin wake", signal, true);
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

  async #switch(target: Slot, evictions: readonly Eviction[], reason: string, signal: AbortSignal, rethrow = false): Promise<void> {
    const mux = this.#mux;
    const clock = mux.clock;
    const id = this.#nextId++;
    const startedAt = clock.now();
    const phases: SwitchPhase[] = [];
    const from = evictions.map((e) => e.model);
    const paused: NonNullable<SwitchRecord["paused"]> = [];
    mux.emit({ type: "switch-start", id, from, to: target.name, at: startedAt, reason });
    let result: SwitchRecord["result"] = "ok";
    let error: unknown;
    try {
      const evictees = evictions.map((e) => this.#slot(e.model));
      // Stop admitting to the evictees and drain them together.
      for (const slot of evictees) if (slot.state === "awake") mux.setState(slot, "draining");
      await Promise.all(evictees.map((slot) => this.#drain(slot, phases, signal, paused)));
      if (mux.closing) throw new ShuttingDownError();
      if (target.waiters.length === 0 && !rethrow) {
        // Every request that wanted the target left while we drained: no switch.
        for (const slot of evictees) if (slot.state === "draining" && slot.engine) mux.setState(slot, "awake");
        result = "aborted";
        return;
      }
      await Promise.all(
        evictions.map((eviction, index) => {
          const slot = evictees[index];
          if (!slot) return Promise.resolve();
          return this.#evict(slot, eviction, evictionLevel(slot, eviction.action === "stop"), phases, signal, true);
        }),
      );
      if (mux.closing) throw new ShuttingDownError();
      await this.#bringUp(target, phases, signal);
    } catch (caught) {
      error = caught;
      const closed = signal.aborted || mux.closing;
      result = closed ? "aborted" : "failed";
      const failure = closed
        ? new ShuttingDownError({ cause: caught })
        : caught instanceof Error && "code" in caught
          ? caught
          : new SwitchFailedError(target.name, caught);
      target.lastError = messageOf(caught);
      mux.rejectAllWaiters(target, () => failure);
      if (rethrow) throw failure;
    } finally {
      const record: SwitchRecord = { id, from, to: target.name, startedAt, durationMs: clock.now() - startedAt, phases, result };
      if (error !== undefined) record.error = messageOf(error);
      const drains = from.flatMap((model) => {
        const drain = mux.slots.get(model)?.service.drain();
        return drain ? [{ model, avgMs: drain.avgMs, p90Ms: drain.p90Ms }] : [];
      });
      if (drains.length > 0) record.drains = drains;
      if (paused.length > 0) record.paused = paused;
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

  async #drain(slot: Slot, phases: SwitchPhase[], signal: AbortSignal, paused: NonNullable<SwitchRecord["paused"]> = []): Promise<void> {
    const mux = this.#mux;
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
        if (requests.length > 0) paused.push({ model: slot.name, requests });
        if (slot.leases.size > 0) await this.#idleWithin(slot, timeoutMs - (mux.clock.now() - started), signal);
      }
      if (slot.leases.size > 0) {
        mux.emit({ type: "preempted", model: slot.name, at: mux.clock.now(), leases: slot.leases.size, reason: "drain timed out" });
        slot.preempted = true;
        mux.revokeLeases(slot, new PreemptedError(slot.name, `drain did not finish within ${policy.drain_timeout_secs} s`));
      }
    }
    const drainMs = mux.clock.now() - started;
    slot.service.recordDrain(drainMs);
    phases.push({ phase: "drain", model: slot.name, durationMs: drainMs, ok: true });
    if (signal.aborted) throw signal.reason;
  }

  /**
   * Sleep (level 1/2) or stop (3) an evictee. A failed or timed-out sleep
   * escalates to a stop: the GPU memory is freed either way.
   */
  async #evict(slot: Slot, eviction: Eviction, level: 1 | 2 | 3, phases: SwitchPhase[], signal: AbortSignal, drained = false): Promise<void> {
    const mux = this.#mux;
    const clock = mux.clock;
    if (!drained && slot.state === "awake") {
      mux.setState(slot, "draining");
      await this.#drain(slot, phases, signal);
    }
    const engine = slot.engine;
    if (!engine || slot.state === "stopped") {
      mux.setState(slot, "stopped");
      return;
    }
    if (eviction.action === "stop" || level === 3) {
      await this.#stop(slot, phases, "level 3");
      return;
    }
    if (slot.state === "asleep") return;
    // Leases were revoked if the drain was skipped or timed out; vLLM may still be
    // finishing them. vLLM #28714: /sleep with running requests crashes the engine.
    const pauseFirst = slot.preempted;
    slot.preempted = false;
    mux.setState(slot, "sleeping");
    const started = clock.now();
    try {
      await withTimeout(clock, `sleep level ${level} of ${slot.name}`, mux.config.policy.sleep_timeout_secs * 1000, signal, (s) =>
        engine.sleep(level as SleepLevel, { pauseFirst, signal: s }),
      );
      if (slot.engine !== engine) throw new Error("engine exited while going to sleep");
      const durationMs = clock.now() - started;
      recordCost(slot.costs, level === 1 ? "sleep1" : "sleep2", durationMs);
      phases.push({ phase: "sleep", model: slot.name, level, durationMs, ok: true });
      slot.asleepLevel = level as SleepLevel;
      mux.setState(slot, "asleep");
    } catch (error) {
      phases.push({ phase: "sleep", model: slot.name, level, durationMs: clock.now() - started, ok: false });
      slot.lastError = `sleep failed: ${messageOf(error)}`;
      slot.failedSinceStart = true;
      mux.emit({ type: "escalation", model: slot.name, at: clock.now(), reason: `sleep level ${level} failed: ${messageOf(error)}`, error });
      await this.#stop(slot, phases, "escalation");
      if (signal.aborted) throw signal.reason;
    }
  }

  async #stop(slot: Slot, phases: SwitchPhase[], _why: string): Promise<void> {
    const started = this.#mux.clock.now();
    const hadEngine = slot.engine !== null;
    await this.#mux.stopEngine(slot);
    const durationMs = this.#mux.clock.now() - started;
    if (hadEngine) recordCost(slot.costs, "stop", durationMs);
    phases.push({ phase: "stop", model: slot.name, level: 3, durationMs, ok: true });
  }

  /** Wake the target, or cold-start it; a failed wake gets one cold start. */
  async #bringUp(slot: Slot, phases: SwitchPhase[], signal: AbortSignal): Promise<void> {
    const mux = this.#mux;
    const clock = mux.clock;
    const engine = slot.engine;
    if (slot.state === "asleep" && engine && slot.asleepLevel !== null) {
      const level = slot.asleepLevel;
      mux.setState(slot, "waking");
      const started = clock.now();
      try {
        await withTimeout(clock, `wake of ${slot.name} from level ${level}`, mux.config.policy.wake_timeout_secs * 1000, signal, (s) =>
          engine.wakeUp(level, { signal: s }),
        );
        if (slot.engine !== engine) throw new Error("engine exited while waking");
        const durationMs = clock.now() - started;
        recordCost(slot.costs, level === 1 ? "wake1" : "wake2", durationMs);
        phases.push({ phase: "wake", model: slot.name, level, durationMs, ok: true });
        await warmUpIfWanted(mux, slot, engine, phases, signal);
        mux.setState(slot, "awake");
        return;
      } catch (error) {
        phases.push({ phase: "wake", model: slot.name, level, durationMs: clock.now() - started, ok: false });
        if (signal.aborted) {
          await mux.stopEngine(slot);
          throw signal.reason;
        }
        slot.lastError = `wake failed: ${messageOf(error)}`;
        slot.failedSinceStart = true;
        mux.emit({ type: "escalation", model: slot.name, at: clock.now(), reason: `wake from level ${level} failed: ${messageOf(error)}`, error });
        await this.#stop(slot, phases, "wake failed");
        try {
          await this.#coldStart(slot, phases, signal);
        } catch (startError) {
          throw new SwitchFailedError(slot.name, startError);
        }
        return;
      }
    }
    if (slot.engine) await this.#stop(slot, phases, "stale engine");
    await this.#coldStart(slot, phases, signal);
  }

  async #coldStart(slot: Slot, phases: SwitchPhase[], signal: AbortSignal): Promise<void> {
    const mux = this.#mux;
    const clock = mux.clock;
    const engine = mux.createEngine(slot);
    if (slot.failedSinceStart) {
      slot.restarts++;
      slot.failedSinceStart = false;
      mux.emit({ type: "restart", model: slot.name, at: clock.now(), restarts: slot.restarts });
    }
    mux.setState(slot, "starting");
    const started = clock.now();
    try {
      await withTimeout(clock, `start-up of ${slot.name}`, slot.config.startup_timeout_secs * 1000, signal, (s) => engine.start({ signal: s }));
      if (slot.engine !== engine) throw new Error("engine exited during start-up");
      const durationMs = clock.now() - started;
      recordCost(slot.costs, "coldStart", durationMs);
      phases.push({ phase: "start", model: slot.name, durationMs, ok: true });
      await warmUpIfWanted(mux, slot, engine, phases, signal);
      mux.setState(slot, "awake");
    } catch (error) {
      phases.push({ phase: "start", model: slot.name, durationMs: clock.now() - started, ok: false });
      // Make sure nothing of a half-started process holds the GPU.
      await mux.stopEngine(slot);
      if (signal.aborted) throw signal.reason;
      const backoffSecs = mux.config.policy.startup_backoff_secs;
      slot.backoffUntil = clock.now() + backoffSecs * 1000;
      slot.backoffCause = error;
      slot.lastError = `start-up failed: ${messageOf(error)}`;
      slot.failedSinceStart = true;
      throw new ModelStartFailedError(slot.name, error, backoffSecs > 0 ? backoffSecs : undefined);
    }
  }
}
