import type { EngineExit } from "@llmux/types";
import type { ModelState } from "./model-state.js";

export interface SwitchPhase {
  /** `drain`, `sleep`, `stop`, `wake`, `start`, `warmup` (a 1-token request after a start or wake, with `warmup` on). */
  phase: "drain" | "sleep" | "stop" | "wake" | "start" | "warmup";
  model: string;
  durationMs: number;
  /** Sleep/wake level, when it applies. */
  level?: 1 | 2 | 3;
  ok: boolean;
}

/**
 * What started a switch: a queued `request`, an operator (`admin` sleep, wake
 * or stop), an `idle` or asleep timeout, the start-up `preload`, or a `reload`
 * that removed a model or changed its settings.
 */
export type SwitchTrigger = "request" | "admin" | "idle" | "preload" | "reload";

export interface SwitchRecord {
  id: number;
  trigger: SwitchTrigger;
  /** Models put to sleep or stopped (to make room, or because that was the action). */
  from: string[];
  /** The model brought up; null when the switch only put models away. */
  to: string | null;
  startedAt: number;
  durationMs: number;
  phases: SwitchPhase[];
  result: "ok" | "failed" | "aborted";
  error?: string;
  /** Per model drained: its measured drains after this one (moving average and 90th percentile, ms). */
  drains?: { model: string; avgMs: number; p90Ms: number }[];
  /** Requests paused to end the drain early (their `requestId`s), resumed when their model is awake again. */
  paused?: { model: string; requests: string[] }[];
}

/** Every event the multiplexer emits. Times are clock ms; durations ms. */
export type MuxEvent =
  | { type: "state"; model: string; from: ModelState; to: ModelState; at: number /** time spent in `from` */; durationMs: number }
  | { type: "switch-start"; id: number; trigger: SwitchTrigger; from: string[]; to: string | null; at: number; reason: string }
  | { type: "switch-end"; record: SwitchRecord }
  | { type: "escalation"; model: string; at: number; reason: string; error?: unknown }
  | { type: "engine-exit"; model: string; at: number; exit: EngineExit; expected: boolean }
  | { type: "restart"; model: string; at: number; restarts: number }
  /** `requestId`: the request's id, when its holder gave one to `acquire`. */
  /** `promisedMs`: with `policy.overload_refusal` on, the wait it was admitted against (its bound, or its time budget). */
  | { type: "queued"; model: string; at: number; queueDepth: number; promisedMs?: number; requestId?: string }
  | { type: "admitted"; model: string; at: number; waitMs: number; requestId?: string }
  /** Refused at once (`waitMs` 0: overload, backoff) or after waiting (timed out, aborted, shutting down, failed switch). */
  | { type: "rejected"; model: string; at: number; waitMs: number; code: string; requestId?: string }
  | { type: "released"; model: string; at: number; heldMs: number; requestId?: string }
  | { type: "preempted"; model: string; at: number; leases: number; reason: string }
  /** `idle_timeout_secs` (from awake) or `asleep_timeout_secs` (from asleep) ran out: llmux sleeps or stops the model. */
  | { type: "preload"; model: string; at: number; state: "loading" | "loaded" | "failed"; error?: string }
  | { type: "idle"; model: string; at: number; from: "awake" | "asleep"; action: "sleep" | "stop"; idleMs: number }
  /** A switch paused these requests after the model's `max_drain_secs`; each is resumed from the head of the queue. */
  | { type: "paused"; model: string; at: number; requests: string[]; drainMs: number }
  /** A paused request was admitted again; `pausedMs` is how long it waited. */
  | { type: "resumed"; model: string; at: number; requestId: string; pausedMs: number; preemptions: number }
  /** A reload applied a new config (see `ReconfigureReport`). */
  | {
      type: "reconfigured";
      at: number;
      added: string[];
      removed: string[];
      changed: string[];
      unchanged: string[];
      restart_required: string[];
    }
  /** An auto-placed model (no `gpus` in its config) is about to start on these GPUs. */
  | { type: "placed"; model: string; at: number; gpus: number[] }
  /** A model removed by a reload finished its requests and stopped. */
  | { type: "removed"; model: string; at: number };

export type MuxListener = (event: MuxEvent) => void;
