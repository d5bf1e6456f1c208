import type { Engine } from "@llmux/types";
import type { Clock } from "./clock.js";
import type { LlmuxConfig, ModelConfig } from "./config/types.js";
import type { MuxEvent, MuxListener, SwitchRecord } from "./events.js";
import type { ModelState } from "./model-state.js";
import type { Policy } from "./policy.js";
import { idleProgress, type PreloadProgress } from "./preload.js";
import { Slot, type Waiter } from "./slot.js";

export type EngineFactory = (name: string, modelConfig: ModelConfig, config: LlmuxConfig) => Engine;

const HISTORY = 20;

/**
 * Everything the multiplexer knows, shared with the modules that carry out its
 * work (switch runner, engine lifecycle, snapshot, policy view, reload, idle
 * timer). The public `Multiplexer` holds it privately, so none of it reaches
 * embedders or the published types.
 */
export class MuxState {
  /** Replaced by a reload. */
  config: LlmuxConfig;
  policy: Policy;
  /** The policy was given, not taken from the config: a reload keeps it. */
  readonly customPolicy: boolean;
  readonly clock: Clock;
  readonly engineFactory: EngineFactory;
  readonly slots = new Map<string, Slot>();
  /** GPUs a switch in progress acts on: no other switch may touch them. */
  readonly lockedGpus = new Set<number>();
  /** The last switches, oldest first. */
  readonly history: SwitchRecord[] = [];
  closing = false;
  readonly preloadProgress: PreloadProgress = idleProgress();
  /** Admit what can be admitted, then let the policy start switches (the multiplexer's scheduler). */
  readonly schedule: () => void;
  readonly #listeners = new Set<MuxListener>();

  constructor(options: { config: LlmuxConfig; policy: Policy; customPolicy: boolean; clock: Clock; engineFactory: EngineFactory; schedule: () => void }) {
    this.config = options.config;
    this.policy = options.policy;
    this.customPolicy = options.customPolicy;
    this.clock = options.clock;
    this.engineFactory = options.engineFactory;
    this.schedule = options.schedule;
    const now = this.clock.now();
    for (const [name, model] of Object.entries(options.config.models)) this.slots.set(name, new Slot(name, model, now));
  }

  on(listener: MuxListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: MuxEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not break the state machine.
      }
    }
  }

  setState(slot: Slot, to: ModelState): void {
    const from = slot.state;
    if (from === to) return;
    const now = this.clock.now();
    const durationMs = now - slot.stateSince;
    slot.state = to;
    slot.stateSince = now;
    if (to === "awake" && from !== "draining") slot.awakeSince = now;
    if (to === "stopped" || to === "asleep") slot.awakeSince = null;
    if (to === "stopped" || to === "awake") slot.asleepLevel = null;
    this.emit({ type: "state", model: slot.name, from, to, at: now, durationMs });
  }

  /** Stop a waiter's timer and abort listener (it leaves the queue, granted or not). */
  settleWaiter(waiter: Waiter): void {
    if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer);
    waiter.detach();
  }

  /** Remove a waiter from its queue and reject it. */
  rejectWaiter(slot: Slot, waiter: Waiter, error: Error & { code?: string }): void {
    if (!slot.waiters.remove(waiter)) return;
    this.settleWaiter(waiter);
    const now = this.clock.now();
    this.emit({ type: "rejected", model: slot.name, at: now, waitMs: now - waiter.arrivedAt, code: error.code ?? "ERROR", ...requestIdOf(waiter) });
    waiter.reject(error);
  }

  /** Reject every waiter of `slot`. */
  rejectAllWaiters(slot: Slot, error: (slot: Slot) => Error): void {
    for (const waiter of [...slot.waiters]) this.rejectWaiter(slot, waiter, error(slot));
  }

  /** Abort every lease of `slot` with `error`. */
  revokeLeases(slot: Slot, error: Error): void {
    for (const lease of [...slot.leases]) lease.revoke(error);
  }

  /** Record a finished switch. */
  remember(record: SwitchRecord): void {
    this.history.push(record);
    if (this.history.length > HISTORY) this.history.shift();
  }
}

/** `{ requestId }` when the request has one: events about a request carry it. */
export function requestIdOf(holder: { requestId?: string | undefined }): { requestId?: string } {
  return holder.requestId === undefined ? {} : { requestId: holder.requestId };
}
