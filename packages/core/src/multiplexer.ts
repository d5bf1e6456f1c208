import { ShuttingDownError } from "@llmux/types";
import { realClock, type Clock, type TimerHandle } from "./clock.js";
import type { LlmuxConfig } from "./config/types.js";
import { stopEngine } from "./engine-lifecycle.js";
import { buildPolicyView } from "./policy-view.js";
import { requestAbortedError, DoesNotFitError, ModelBackoffError, QueueTimeoutError, UnknownModelError } from "./errors.js";
import type { MuxListener } from "./events.js";
import { LeaseImpl, type Lease } from "./lease.js";
import { canEverFit, fitsAfter } from "./budget.js";
import type { Eviction, Policy, PolicyView } from "./policy.js";
import { policyFor } from "./policies/index.js";
import type { Slot, Waiter } from "./slot.js";
import { MuxState, requestIdOf, type EngineFactory } from "./mux-state.js";
import { SwitchRunner } from "./switch-runner.js";
import { estimateMs, longestMs, takeAdmissible } from "./admission.js";
import { overloadOf, recordPlanError } from "./overload.js";
import { IdleTimer } from "./idle-timer.js";
import { runPreload } from "./preload.js";
import type { MuxSnapshot } from "./snapshot.js";
import { buildSnapshot } from "./snapshot.js";
import { assignPlacement } from "./placement.js";
import { evictionLevel, reconfigure, sweepReconfigured, type ReconfigureReport } from "./reconfigure.js";

export interface MultiplexerOptions {
  config: LlmuxConfig;
  engineFactory: EngineFactory;
  clock?: Clock;
  /** Overrides `config.policy.policy_type`. */
  policy?: Policy;
}

export interface AcquireOptions {
  /** The client's signal: when it aborts, the request leaves the queue at once. */
  signal?: AbortSignal;
  /** Clock ms by which the lease must be granted; can only shorten `request_timeout_secs`. */
  deadline?: number;
  /** The client's `max_tokens` (chat: `max_completion_tokens`): admission plans with it. */
  maxTokens?: number;
  /**
   * The holder can resume the request after a pause (it keeps what was generated
   * and asks again with `resume`): a switch may pause it after the model's
   * `max_drain_secs` instead of waiting for it.
   */
  preemptible?: boolean;
  /** The request's id (the proxy passes its `x-request-id`): on every event about the request and on the switch that paused it. */
  requestId?: string;
  /**
   * The request was paused and goes on: it goes to the head of the queue with
   * its first arrival time. `preemptions` counts the pauses so far; at
   * `policy.max_preemptions` the lease is no longer preemptible.
   */
  resume?: { arrivedAt: number; pausedAt: number; preemptions: number };
}

/**
 * Decides which models are awake and hands out leases to awake ones only.
 * Never spawns processes or opens sockets: it drives `Engine`s from the factory.
 */
export class Multiplexer {
  readonly #state: MuxState;
  readonly #runner: SwitchRunner;
  readonly #idle: IdleTimer;
  #recheckTimer: TimerHandle | undefined;
  #recheckAt: number | undefined;
  #scheduling = false;
  #rescheduleWanted = false;
  #closePromise: Promise<void> | undefined;
  #destroyPromise: Promise<void> | undefined;
  #forceClose: (() => void) | undefined;

  constructor(options: MultiplexerOptions) {
    this.#state = new MuxState({
      config: options.config,
      policy: options.policy ?? policyFor(options.config.policy.policy_type),
      customPolicy: options.policy !== undefined,
      clock: options.clock ?? realClock,
      engineFactory: options.engineFactory,
      schedule: () => this.#schedule(),
    });
    this.#runner = new SwitchRunner(this.#state);
    this.#idle = new IdleTimer(this.#state, (slot, action) => this.#runner.adminEvict(slot, action === "stop" ? 3 : evictionLevel(slot, false), "idle"));
  }

  /** The running config (a reload replaces it). */
  get config(): LlmuxConfig {
    return this.#state.config;
  }

  get policy(): Policy {
    return this.#state.policy;
  }

  get clock(): Clock {
    return this.#state.clock;
  }

  /** Subscribe to events; returns the unsubscribe function. */
  on(listener: MuxListener): () => void {
    return this.#state.on(listener);
  }

  get closed(): boolean {
    return this.#state.closing;
  }

  /** Wait until `model` is awake and admitting, then hold a lease on it. */
  acquire(model: string, options: AcquireOptions = {}): Promise<Lease> {
    const state = this.#state;
    if (state.closing) return Promise.reject(new ShuttingDownError());
    const slot = state.slots.get(model);
    // A reload that removes a model lets it finish what it has: a paused request goes on.
    if (!slot || (slot.removing && !options.resume)) return Promise.reject(new UnknownModelError(model, this.#modelNames()));
    const now = state.clock.now();
    if (options.signal?.aborted) return Promise.reject(requestAbortedError(model, options.signal.reason));
    if (slot.backoffUntil > now) {
      const error = new ModelBackoffError(model, Math.max(1, Math.ceil((slot.backoffUntil - now) / 1000)), slot.backoffCause);
      state.emit({ type: "rejected", model, at: now, waitMs: 0, code: error.code, ...requestIdOf(options) });
      return Promise.reject(error);
    }
    const maxTokens = options.maxTokens;
    const resume = options.resume;
    const preemptible = options.preemptible === true && (resume?.preemptions ?? 0) < state.config.policy.max_preemptions;
    const ticket = {
      preemptible,
      resumable: options.preemptible === true,
      requestId: options.requestId,
      resume: resume && { pausedAt: resume.pausedAt, preemptions: resume.preemptions },
    };
    const arrivedAt = resume?.arrivedAt ?? now;
    if (slot.state === "awake" && !slot.busy && slot.engine && slot.waiters.length === 0 && slot.leases.size < slot.admitLimit && slot.closeAt === null) {
      if (!resume) slot.service.recordArrival(now);
      return Promise.resolve(this.#grant(slot, arrivedAt, maxTokens, ticket));
    }
    // A paused request already passed admission once: it is never refused as overload.
    const verdict = resume ? {} : overloadOf(this.#state, slot, now, options.deadline, maxTokens);
    const overload = verdict.error;
    if (overload) {
      state.emit({ type: "rejected", model, at: now, waitMs: 0, code: overload.code, ...requestIdOf(options) });
      return Promise.reject(overload);
    }
    if (!resume) slot.service.recordArrival(now);
    return new Promise<Lease>((resolve, reject) => {
      const promise = verdict.promisedMs === undefined ? {} : { promisedMs: verdict.promisedMs };
      const planned = verdict.plannedMs === undefined ? {} : { plannedMs: verdict.plannedMs };
      const promisedBy = verdict.promisedMs === undefined ? {} : { promisedBy: arrivedAt + verdict.promisedMs };
      const waiter: Waiter = { model, arrivedAt, maxTokens, ...ticket, ...planned, ...promisedBy, resolve, reject, timer: undefined, detach: () => {} };
      const timeoutMs = Math.min(state.config.policy.request_timeout_secs * 1000, options.deadline === undefined ? Infinity : options.deadline - now);
      waiter.timer = state.clock.setTimeout(
        () => {
          // It would have waited longer still: the plan was off by at least this much.
          recordPlanError(slot, waiter, state.clock.now());
          state.rejectWaiter(slot, waiter, new QueueTimeoutError(model, state.clock.now() - now));
          state.schedule();
        },
        Math.max(0, timeoutMs),
      );
      const signal = options.signal;
      if (signal) {
        const onAbort = () => {
          state.rejectWaiter(slot, waiter, requestAbortedError(model, signal.reason));
          state.schedule();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiter.detach = () => signal.removeEventListener("abort", onAbort);
      }
      if (resume) slot.waiters.unshift(waiter);
      else slot.waiters.push(waiter);
      state.emit({ type: "queued", model, at: now, queueDepth: slot.waiters.length, ...promise, ...requestIdOf(options) });
      state.schedule();
    });
  }

  #grant(slot: Slot, arrivedAt: number, maxTokens: number | undefined, ticket?: Pick<Waiter, "preemptible" | "resumable" | "requestId" | "resume">): LeaseImpl {
    const state = this.#state;
    const now = state.clock.now();
    const engine = slot.engine;
    if (!engine) throw new Error("internal: grant without engine");
    const lease = new LeaseImpl(
      slot.name,
      engine.url,
      now,
      arrivedAt,
      now + estimateMs(slot, maxTokens),
      now + longestMs(slot, maxTokens),
      (released, usage, revoked) => {
        slot.leases.delete(released);
        slot.lastReleaseAt = state.clock.now();
        const heldMs = state.clock.now() - released.grantedAt;
        if (!revoked) slot.service.recordLease(heldMs, usage?.completionTokens);
        state.emit({ type: "released", model: slot.name, at: state.clock.now(), heldMs, ...requestIdOf(released) });
        slot.notifyIdle();
        state.schedule();
      },
      engine.socketPath,
    );
    lease.preemptible = ticket?.preemptible === true;
    lease.resumable = ticket?.resumable === true;
    lease.requestId = ticket?.requestId;
    slot.leases.add(lease);
    slot.lastAdmitAt = now;
    if (ticket?.resume) {
      const { pausedAt, preemptions } = ticket.resume;
      state.emit({ type: "resumed", model: slot.name, at: now, requestId: ticket.requestId ?? "", pausedMs: now - pausedAt, preemptions });
    }
    state.emit({ type: "admitted", model: slot.name, at: now, waitMs: now - arrivedAt, ...requestIdOf(lease) });
    return lease;
  }

  /** Admit what can be admitted, then let the policy start switches. Re-entrant calls coalesce. */
  #schedule(): void {
    if (this.#scheduling) {
      this.#rescheduleWanted = true;
      return;
    }
    this.#scheduling = true;
    try {
      do {
        this.#rescheduleWanted = false;
        this.#scheduleOnce();
      } while (this.#rescheduleWanted);
      this.#idle.arm();
    } finally {
      this.#scheduling = false;
    }
  }

  #modelNames(): string[] {
    return [...this.#state.slots.values()].filter((slot) => !slot.removing).map((slot) => slot.name);
  }

  /**
   * Apply a new validated config without a restart (see `ReconfigureReport`
   * for what happens to each model). Settings bound at start-up keep their
   * running values and are listed in `restart_required`.
   */
  reconfigure(config: LlmuxConfig): ReconfigureReport {
    if (this.#state.closing) throw new ShuttingDownError();
    return reconfigure(this.#state, config);
  }

  #scheduleOnce(): void {
    const state = this.#state;
    if (state.closing) return;
    // Before the policy looks: a model with pending settings must not be started with its old ones.
    for (const slot of sweepReconfigured(this.#state)) void this.#runner.stopIdle(slot);
    const now = state.clock.now();
    // A plan lasts while some model that is not up has requests waiting.
    if (![...state.slots.values()].some((slot) => slot.waiters.length > 0 && (slot.state === "stopped" || slot.state === "asleep"))) {
      for (const slot of state.slots.values()) slot.closeAt = null;
    }
    this.#admit(now);
    for (const slot of state.slots.values()) {
      if (slot.waiters.length > 0 && slot.backoffUntil > now && !slot.busy) {
        const retry = Math.max(1, Math.ceil((slot.backoffUntil - now) / 1000));
        state.rejectAllWaiters(slot, (s) => new ModelBackoffError(s.name, retry, s.backoffCause));
      }
    }
    // Every lease release lands here: with no request waiting there is no decision to make, so no view to build.
    if (!this.#anyWaiting()) return;
    for (let round = 0; round < state.slots.size; round++) {
      const view = buildPolicyView(this.#state);
      for (const model of view.models) {
        if (model.queue.length > 0 && !canEverFit(model)) {
          const slot = state.slots.get(model.name);
          if (slot) state.rejectAllWaiters(slot, (s) => new DoesNotFitError(s.name, `it needs ${s.fraction} of a GPU`));
        }
      }
      if (!view.models.some((m) => m.queue.length > 0 && !m.busy && (m.state === "stopped" || m.state === "asleep"))) return;
      const decision = state.policy.decide(view);
      if (decision.action === "wait") {
        if (decision.recheckAt !== undefined) this.#recheck(decision.recheckAt);
        for (const slot of state.slots.values()) slot.closeAt = decision.closeAt?.[slot.name] ?? null;
        // A plan that ends later than the last one lets more in.
        this.#admit(now);
        return;
      }
      if (!this.#valid(view, decision.model, decision.evict)) return;
      const slot = state.slots.get(decision.model);
      if (!slot) return;
      assignPlacement(this.#state, slot, view.models.find((m) => m.name === slot.name)?.gpus);
      void this.#runner.run(slot, decision.evict, decision.reason);
    }
  }

  #anyWaiting(): boolean {
    for (const slot of this.#state.slots.values()) if (slot.waiters.length > 0) return true;
    return false;
  }

  /** Grant leases to the waiters of awake models that admission lets in. */
  #admit(now: number): void {
    const keepPromises = this.#state.config.policy.overload_refusal !== "off";
    for (const slot of this.#state.slots.values()) {
      if (slot.state !== "awake" || slot.busy || !slot.engine || slot.waiters.length === 0) continue;
      for (const waiter of takeAdmissible(slot, now, keepPromises)) {
        recordPlanError(slot, waiter, now);
        this.#state.settleWaiter(waiter);
        waiter.resolve(this.#grant(slot, waiter.arrivedAt, waiter.maxTokens, waiter));
      }
    }
  }

  #valid(view: PolicyView, target: string, evict: readonly Eviction[]): boolean {
    const model = view.models.find((m) => m.name === target);
    if (!model || model.busy || model.queue.length === 0 || (model.state !== "stopped" && model.state !== "asleep")) return false;
    for (const eviction of evict) {
      const other = view.models.find((m) => m.name === eviction.model);
      if (!other || other.busy || other.pinned || other.name === target) return false;
      if (other.state !== "awake" && !(other.state === "asleep" && eviction.action === "stop")) return false;
      if (other.gpus.some((gpu) => view.lockedGpus.has(gpu))) return false;
    }
    if (model.gpus.some((gpu) => view.lockedGpus.has(gpu))) return false;
    return fitsAfter(view, model, evict);
  }

  #recheck(at: number): void {
    if (this.#recheckAt !== undefined && this.#recheckAt <= at) return;
    if (this.#recheckTimer !== undefined) this.#state.clock.clearTimeout(this.#recheckTimer);
    this.#recheckAt = at;
    this.#recheckTimer = this.#state.clock.setTimeout(
      () => {
        this.#recheckTimer = undefined;
        this.#recheckAt = undefined;
        this.#state.schedule();
      },
      Math.max(0, at - this.#state.clock.now()),
    );
  }

  /** State of every model, GPU budget use and the last switches. */
  snapshot(): MuxSnapshot {
    return buildSnapshot(this.#state);
  }

  /** Admin: put an awake model to sleep (`level` 3 stops it). Waits for a switch touching it to end first. */
  async sleepModel(name: string, level?: 1 | 2 | 3): Promise<void> {
    const slot = this.#slotOrThrow(name);
    await this.#runner.adminEvict(slot, level ?? evictionLevel(slot, false), "admin");
  }

  /** Admin: bring a model up now (making room as the default eviction plan says). */
  async wakeModel(name: string): Promise<void> {
    const slot = this.#slotOrThrow(name);
    await this.#runner.adminWake(slot, "admin");
  }

  /**
   * Bring models up at start-up (default: those with `preload: true`), pinned
   * first and then from the lowest priority up, each warmed up when `warmup`
   * is on; the ones that do not fit beside the later ones end asleep at their
   * level. Resolves when done (failures are in the snapshot's `preload`, not thrown).
   */
  preload(names: readonly string[] = [...this.#state.slots.values()].filter((s) => s.config.preload).map((s) => s.name)): Promise<void> {
    for (const name of names) this.#slotOrThrow(name);
    return runPreload(this.#state, names, (name) => this.#runner.adminWake(this.#slotOrThrow(name), "preload"));
  }

  /** Admin: stop a model's process (level 3). */
  async stopModel(name: string): Promise<void> {
    const slot = this.#slotOrThrow(name);
    await this.#runner.adminEvict(slot, 3, "admin");
  }

  #slotOrThrow(name: string): Slot {
    if (this.#state.closing) throw new ShuttingDownError();
    const slot = this.#state.slots.get(name);
    if (!slot) throw new UnknownModelError(name, [...this.#state.slots.keys()]);
    return slot;
  }

  /**
   * Graceful: stop admitting, fail queued requests, let leases finish within
   * `proxy.shutdown_grace_secs`, abort switches, stop every engine.
   */
  close(): Promise<void> {
    this.#closePromise ??= this.#shutdown(this.#state.config.proxy.shutdown_grace_secs * 1000);
    return this.#closePromise;
  }

  /** Forced: abort leases and switches at once and stop every engine. */
  destroy(error?: Error): Promise<void> {
    this.#destroyPromise ??= (async () => {
      this.#forceClose?.();
      this.#closePromise ??= this.#shutdown(0, error);
      await this.#closePromise;
    })();
    return this.#destroyPromise;
  }

  async #shutdown(graceMs: number, error?: Error): Promise<void> {
    const state = this.#state;
    state.closing = true;
    this.#idle.cancel();
    if (this.#recheckTimer !== undefined) state.clock.clearTimeout(this.#recheckTimer);
    for (const slot of state.slots.values()) state.rejectAllWaiters(slot, () => new ShuttingDownError({ cause: error }));
    const slots = [...state.slots.values()];
    if (graceMs > 0 && slots.some((slot) => slot.leases.size > 0)) {
      await new Promise<void>((resolve) => {
        const timer = state.clock.setTimeout(done, graceMs);
        let pending = slots.filter((slot) => slot.leases.size > 0).length;
        function done(): void {
          resolve();
        }
        this.#forceClose = () => {
          state.clock.clearTimeout(timer);
          resolve();
        };
        for (const slot of slots) {
          if (slot.leases.size === 0) continue;
          slot.idleListeners.push(() => {
            if (--pending === 0) {
              state.clock.clearTimeout(timer);
              resolve();
            }
          });
        }
      });
    }
    for (const slot of slots) state.revokeLeases(slot, new ShuttingDownError({ cause: error }));
    await this.#runner.abortAll(new ShuttingDownError({ cause: error }));
    await Promise.allSettled(slots.map((slot) => stopEngine(this.#state, slot)));
  }
}
