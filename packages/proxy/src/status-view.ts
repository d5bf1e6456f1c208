import type { ModelCosts, ModelSnapshot, ServiceView, ModelState, MuxSnapshot, PreloadProgress, SwitchPhase, SwitchRecord, SwitchTrigger } from "@llmux/core";
import type { ModelNames } from "./model-names.js";
import type { PausedRequestView } from "./resume/paused-requests.js";

/**
 * The wire format of the multiplexer's state: `GET /llmux/status` and the
 * status page's `GET /llmux/events` send this one view. snake_case; times are
 * wall-clock epoch ms (`*_at`); durations are named by unit (`*_ms`, `*_secs`).
 * `status.schema.json` describes it, and a test keeps the two in step.
 */
export interface ModelStatusView {
  name: string;
  aliases: string[];
  state: ModelState;
  /** The level it sleeps at now (1 or 2); null when up or stopped. */
  sleep_level: 1 | 2 | null;
  /** The level it is put at when evicted (3 = stopped). */
  configured_sleep_level: 1 | 2 | 3;
  queue_depth: number;
  in_flight: number;
  /** Epoch ms since which it is awake, or null. */
  awake_at: number | null;
  last_error: string | null;
  restarts: number;
  /** Seconds left of a start-up backoff, or 0. */
  backoff_secs: number;
  gpus: number[];
  gpu_memory_utilization: number;
  /** Requests admitted into its vLLM at once. */
  max_concurrency: number;
  /** Measured drains, null before the first. */
  drain: { avg_ms: number; p90_ms: number; samples: number } | null;
  /** Measured service (decode time per token, output lengths, lease times); null where fewer than 20 samples. */
  service: ServiceView;
  /** Measured costs (moving averages, ms), null where not measured yet. */
  costs: CostsView;
  /** `fixed` when the config names its GPUs, `auto` when llmux places it. */
  placement: "auto" | "fixed";
  /** A reload removed it; it goes once its requests end. */
  removing: boolean;
  /** A reload changed settings that apply at its next start. */
  settings_pending: boolean;
  /** Requests a switch paused, waiting to go on (they are also counted in `queue_depth` once queued again). */
  paused: number;
  paused_requests: PausedRequestView[];
}

export interface CostsView {
  sleep_ms: { "1": number | null; "2": number | null };
  wake_ms: { "1": number | null; "2": number | null };
  cold_start_ms: number | null;
  stop_ms: number | null;
  samples: number;
  /** What the planner assumes where nothing is measured yet: the model's `expected_costs`, else the built-in priors. */
  priors: { sleep_ms: { "1": number; "2": number }; wake_ms: { "1": number; "2": number }; cold_start_ms: number; stop_ms: number };
}

export interface SwitchStatusView {
  id: number;
  /** What started it: `request`, `admin`, `idle`, `preload` or `reload`. */
  trigger: SwitchTrigger;
  from: string[];
  /** The model brought up; null when the switch only put models away (a sleep or stop). */
  to: string | null;
  /** Epoch ms. */
  started_at: number;
  duration_ms: number;
  result: SwitchRecord["result"];
  error: string | null;
  phases: { phase: SwitchPhase["phase"]; model: string; level: 1 | 2 | 3 | null; duration_ms: number; ok: boolean }[];
  /** Per model drained: its measured drains after this switch. */
  drains: { model: string; avg_ms: number; p90_ms: number }[];
}

export interface StatusView {
  /** Epoch ms of this view. */
  generated_at: number;
  policy: string;
  /** The multiplexer is closing. */
  closing: boolean;
  admin_controls: boolean;
  models: ModelStatusView[];
  /** Share of each GPU held (0..1) and by whom. */
  gpus: { index: number; used: number; models: string[] }[];
  /** The last switches, newest first. */
  switches: SwitchStatusView[];
  /** Progress of the start-up preload. */
  preload: PreloadProgress;
}

export interface StatusViewInput {
  snapshot: MuxSnapshot;
  names: ModelNames;
  /** The multiplexer clock's now (the snapshot's times are in its ms). */
  clockNow: number;
  wallNow: number;
  adminControls: boolean;
  /** The paused requests of a model (the proxy's: the multiplexer does not know what was produced). */
  paused?: (model: string) => PausedRequestView[];
}

/** The snake_case, wall-clock view of a multiplexer snapshot. */
export function statusView(input: StatusViewInput): StatusView {
  const { snapshot } = input;
  const wall = (clockMs: number): number => Math.round(input.wallNow - (input.clockNow - clockMs));
  return {
    generated_at: input.wallNow,
    policy: snapshot.policy,
    closing: snapshot.closed,
    admin_controls: input.adminControls,
    models: snapshot.models.map((model) => modelView(model, input.names.aliasesOf(model.name), wall, input.paused?.(model.name) ?? [])),
    gpus: snapshot.gpus.map((gpu) => ({ index: gpu.index, used: gpu.used, models: [...gpu.models] })),
    switches: [...snapshot.switches].reverse().map((record) => switchView(record, wall)),
    preload: { ...snapshot.preload, models: snapshot.preload.models.map((model) => ({ ...model })) },
  };
}

function modelView(model: ModelSnapshot, aliases: string[], wall: (clockMs: number) => number, paused: PausedRequestView[]): ModelStatusView {
  return {
    name: model.name,
    aliases,
    state: model.state,
    sleep_level: model.sleepLevel === 1 || model.sleepLevel === 2 ? model.sleepLevel : null,
    configured_sleep_level: model.configuredSleepLevel,
    queue_depth: model.queueDepth,
    in_flight: model.inFlight,
    awake_at: model.awakeSince === null ? null : wall(model.awakeSince),
    last_error: model.lastError,
    restarts: model.restarts,
    backoff_secs: model.backoffSecs,
    gpus: [...model.gpus],
    gpu_memory_utilization: model.gpuMemoryUtilization,
    max_concurrency: model.max_concurrency,
    drain: model.drain,
    service: model.service,
    costs: costsView(model.costs),
    placement: model.placement,
    removing: model.removing,
    settings_pending: model.settings_pending,
    paused: paused.length,
    paused_requests: paused,
  };
}

function costsView(costs: ModelCosts): CostsView {
  return {
    sleep_ms: { "1": costs.sleepMs[1], "2": costs.sleepMs[2] },
    wake_ms: { "1": costs.wakeMs[1], "2": costs.wakeMs[2] },
    cold_start_ms: costs.coldStartMs,
    stop_ms: costs.stopMs,
    samples: costs.samples,
    priors: {
      sleep_ms: { "1": costs.priors.sleep1, "2": costs.priors.sleep2 },
      wake_ms: { "1": costs.priors.wake1, "2": costs.priors.wake2 },
      cold_start_ms: costs.priors.coldStart,
      stop_ms: costs.priors.stop,
    },
  };
}

function switchView(record: SwitchRecord, wall: (clockMs: number) => number): SwitchStatusView {
  return {
    id: record.id,
    trigger: record.trigger,
    from: [...record.from],
    to: record.to,
    started_at: wall(record.startedAt),
    duration_ms: Math.round(record.durationMs),
    result: record.result,
    error: record.error ?? null,
    phases: phasesView(record.phases),
    drains: drainsView(record.drains ?? []),
  };
}

/** A switch's phases on the wire: the status page, the live feed and the cli's switch log line share this shape. */
export function phasesView(phases: SwitchRecord["phases"]): SwitchStatusView["phases"] {
  return phases.map((phase) => ({
    phase: phase.phase,
    model: phase.model,
    level: phase.level ?? null,
    duration_ms: Math.round(phase.durationMs),
    ok: phase.ok,
  }));
}

/** The drain times a switch planned with, on the wire (status and the switch log line). */
export function drainsView(drains: NonNullable<SwitchRecord["drains"]>): SwitchStatusView["drains"] {
  return drains.map((drain) => ({ model: drain.model, avg_ms: Math.round(drain.avgMs), p90_ms: Math.round(drain.p90Ms) }));
}
