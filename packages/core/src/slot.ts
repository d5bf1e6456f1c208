import type { Engine } from "@llmux/types";
import type { ModelConfig } from "./config/types.js";
import { costPriors, emptyCosts, type ModelCosts } from "./costs.js";
import type { LeaseImpl } from "./lease.js";
import type { ModelState } from "./model-state.js";
import type { TimerHandle } from "./clock.js";
import { ServiceStats } from "./service-stats.js";
import { WaiterQueue } from "./waiter-queue.js";

export interface Waiter {
  model: string;
  arrivedAt: number;
  /** The client's `max_tokens`, when it sent one. */
  maxTokens: number | undefined;
  /** May a switch pause this request (see `AcquireOptions.preemptible`)? */
  preemptible?: boolean;
  /** The holder can resume it (it asked as preemptible), even past `max_preemptions`. */
  resumable?: boolean;
  requestId?: string | undefined;
  /** Set for a paused request asking to go on: when it was paused, and how often so far. */
  resume?: { pausedAt: number; preemptions: number } | undefined;
  /** The plan's wait for it when it joined (ms): how far off it was corrects later plans (`ServiceStats.planErrorMs`). */
  plannedMs?: number;
  /** When (clock ms) it was promised to go in by (`policy.overload_refusal`): later plans keep it. */
  promisedBy?: number;
  resolve: (lease: LeaseImpl) => void;
  reject: (error: Error) => void;
  timer: TimerHandle | undefined;
  detach: () => void;
}

/** Everything the multiplexer tracks about one model. */
export class Slot {
  readonly name: string;
  /** The settings it runs with; a reload's new ones wait in `pendingConfig` until it is stopped. */
  config: ModelConfig;
  /** Settings from a reload, applied once the model is stopped. */
  pendingConfig: ModelConfig | null = null;
  /** Removed by a reload: admits nothing new, serves what it queued, then stops and leaves the multiplexer. */
  removing = false;
  state: ModelState = "stopped";
  stateSince: number;
  engine: Engine | null = null;
  unsubscribeExit: (() => void) | null = null;
  /** Set while llmux itself stops the engine, so its exit is expected. */
  stopRequested = false;
  asleepLevel: 1 | 2 | null = null;
  readonly leases = new Set<LeaseImpl>();
  readonly waiters = new WaiterQueue();
  awakeSince: number | null = null;
  lastAdmitAt: number | null = null;
  /** When its last lease ended: the start of its idle time. */
  lastReleaseAt: number | null = null;
  readonly costs: ModelCosts;
  readonly service = new ServiceStats();
  /** Requests admitted into vLLM at once (`max_concurrency`). */
  admitLimit: number;
  /** Clock ms of the next planned switch away from this model, set by the policy: admit only what finishes before it. */
  closeAt: number | null = null;
  lastError: string | null = null;
  /** Cold starts that recover from a failure (see `failedSinceStart`); routine level-3 starts are not counted. */
  restarts = 0;
  /** The engine crashed, or a sleep, wake or start failed, since the last start: the next cold start is a restart. */
  failedSinceStart = false;
  backoffUntil = 0;
  backoffCause: unknown = null;
  /** Leases were revoked before the sleep: vLLM may still be running them. */
  preempted = false;
  /** In a switch or admin operation. */
  busy = false;
  /** Wakes a drain when the last lease is released. */
  idleListeners: (() => void)[] = [];

  constructor(name: string, config: ModelConfig, now: number) {
    this.name = name;
    this.config = config;
    this.stateSince = now;
    this.admitLimit = config.max_concurrency;
    this.costs = emptyCosts(costPriors(config.expected_costs));
  }

  /** Take new settings (only while stopped: a running engine keeps the ones it started with). */
  applyConfig(config: ModelConfig): void {
    this.config = config;
    this.admitLimit = config.max_concurrency;
    this.costs.priors = costPriors(config.expected_costs);
  }

  /** New priors from a reload: they only guide the plan, so they apply at once, running or not. */
  applyExpectedCosts(expected: ModelConfig["expected_costs"]): void {
    this.config = { ...this.config, expected_costs: expected };
    if (this.pendingConfig) this.pendingConfig = { ...this.pendingConfig, expected_costs: expected };
    this.costs.priors = costPriors(expected);
  }

  get fraction(): number {
    return this.config.gpu_memory_utilization;
  }

  notifyIdle(): void {
    if (this.leases.size > 0) return;
    const listeners = this.idleListeners;
    this.idleListeners = [];
    for (const listener of listeners) listener();
  }
}
