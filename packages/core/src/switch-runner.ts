import { ShuttingDownError } from "@llmux/types";
import { SwitchFailedError, messageOf } from "./errors.js";
import type { SwitchRecord, SwitchTrigger } from "./events.js";
import type { MuxState } from "./mux-state.js";
import { planEvictions } from "./budget.js";
import type { Eviction } from "./policy.js";
import { buildPolicyView } from "./policy-view.js";
import type { Slot } from "./slot.js";
import { evictionLevel } from "./reconfigure.js";
import { assignPlacement } from "./placement.js";
import { bringUp, drain, evict, stopPhase, type SwitchDraft } from "./switch-steps.js";

interface ActiveSwitch {
  controller: AbortController;
  done: Promise<void>;
  slots: Slot[];
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
        evict(this.#mux, slot, { model: slot.name, action }, level, draft, signal),
      ),
    );
  }

  /** Stop a model nothing runs on (a reload removed it or changed its settings); the caller checked it is not busy. */
  stopIdle(slot: Slot): Promise<void> {
    return this.#track([slot], (signal) =>
      this.#recorded({ trigger: "reload", from: [slot.name], to: null, reason: "reload stop" }, signal, (draft) =>
        stopPhase(this.#mux, slot, draft.phases),
      ).catch(() => {
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
        await Promise.all(evictees.map((slot, index) => drain(mux, slot, draft, signal, evictions[index]?.pause !== false)));
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
            return evict(mux, slot, eviction, evictionLevel(slot, eviction.action === "stop"), draft, signal, true);
          }),
        );
        if (mux.closing) throw new ShuttingDownError();
        await bringUp(mux, target, draft.phases, signal);
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
}
