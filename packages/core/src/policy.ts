import type { PolicyConfig } from "./config/types.js";
import type { ModelCosts } from "./costs.js";
import type { ModelState } from "./model-state.js";
import type { DrainSummary } from "./service-stats.js";

/**
 * What a policy sees of one model. Everything a policy needs is here; it
 * never reaches into the multiplexer.
 */
export interface PolicyModelView {
  name: string;
  state: ModelState;
  /** Configured sleep level for this model (3 = stop). */
  sleepLevel: 1 | 2 | 3;
  /** Level it sleeps at now, when `state` is `asleep`. */
  asleepLevel: 1 | 2 | null;
  gpus: readonly number[];
  /** `gpu_memory_utilization`: the share of each of its GPUs it holds awake. */
  fraction: number;
  inFlight: number;
  awakeSince: number | null;
  /** When a request was last admitted to it. */
  lastAdmitAt: number | null;
  /**
   * Arrival times (clock ms) of the requests waiting for it, oldest first. A
   * request paused by a switch counts from its pause (its wait for the next
   * turn starts there), so a model left with paused requests is not due at once.
   */
  queue: readonly number[];
  costs: ModelCosts;
  /** Requests admitted into its vLLM at once (`max_concurrency`). */
  admitLimit: number;
  /** Clock ms by which its generations in flight are expected to end (admission's estimates), or null when none runs. */
  inFlightEndsAt: number | null;
  /** First arrival (clock ms) among its generations a switch would pause, or null when none could be paused. */
  pausableSince: number | null;
  /** Its measured drains, or null before the first. */
  drain: DrainSummary | null;
  /** 90th percentile of how long its requests held a slot (ms), or null before enough were seen. */
  heldP90Ms: number | null;
  /** Its drain budget (`max_drain_secs`): a switch pauses its resumable generations after this long; null = it drains them. */
  maxDrainSecs: number | null;
  /** Part of a switch or admin operation right now: neither a target nor evictable. */
  busy: boolean;
  /** A recent start-up failure: do not pick it. */
  inBackoff: boolean;
  /** Never an evictee (`pinned`). */
  pinned: boolean;
  /** Higher wins: evicted last, served first within the policy's bound. */
  priority: number;
}

export interface PolicyView {
  now: number;
  models: readonly PolicyModelView[];
  config: PolicyConfig;
  /** Share of a GPU a sleeping model keeps (`sleep_reserve_gib / memory_gib`). */
  reserveFraction: number;
  /** GPUs touched by a switch in progress. */
  lockedGpus: ReadonlySet<number>;
}

/** Make room for a target: sleep an awake model at its level, or stop it (frees its reserve too). */
export interface Eviction {
  model: string;
  action: "sleep" | "stop";
  /**
   * false: the drain waits for the model's generations instead of pausing
   * them after its `max_drain_secs` (a policy that finds pausing does not
   * pay now). Default: its drain budget applies.
   */
  pause?: boolean;
}

export type PolicyDecision =
  | { action: "switch"; model: string; evict: Eviction[]; reason: string }
  | {
      action: "wait";
      /** Ask again at this clock time even if nothing changes. */
      recheckAt?: number;
      /**
       * The plan: per awake model, the clock time of the next switch away
       * from it. Until then it admits only requests expected to finish by
       * then, so that switch's drain ends near the planned time.
       */
      closeAt?: Record<string, number>;
    };

/**
 * A switching policy: called whenever something changes and at least one
 * model that is not awake has requests waiting. Pure and synchronous: the
 * multiplexer validates the decision (target waiting and idle, evictions make
 * it fit, no GPU locked) and carries it out. Return `wait` to do nothing now.
 */
export interface Policy {
  readonly name: string;
  decide(view: PolicyView): PolicyDecision;
}

/** Models with requests waiting that could be brought up now. */
export function candidates(view: PolicyView): PolicyModelView[] {
  return view.models.filter((model) => model.queue.length > 0 && !model.busy && !model.inBackoff && (model.state === "stopped" || model.state === "asleep"));
}
