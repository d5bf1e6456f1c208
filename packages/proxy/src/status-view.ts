import type { ModelSnapshot, MuxSnapshot } from "@llmux/core";
import type { ModelNames } from "./model-names.js";
import { modelViews } from "./mux.js";

/** One model on the status page (`GET /llmux/events`), in the wire format: snake_case, wall-clock ms. */
export interface ModelStatusView {
  name: string;
  aliases: string[];
  state: string;
  /** The level it sleeps at now (1 or 2), 3 when stopped, null when up. */
  sleep_level: number | null;
  queue_depth: number;
  in_flight: number;
  /** Epoch ms since which it is awake, or null. */
  awake_since: number | null;
  last_error: string | null;
  restarts: number;
  gpus: number[];
  gpu_memory_utilization: number;
}

export interface SwitchStatusView {
  id: number;
  from: string[];
  to: string;
  /** Epoch ms. */
  started_at: number;
  duration_ms: number;
  result: string;
  error: string | null;
  phases: { phase: string; model: string; level: number | null; duration_ms: number; ok: boolean }[];
}

export interface StatusView {
  /** Epoch ms of this view. */
  at: number;
  policy: string;
  closing: boolean;
  admin_controls: boolean;
  models: ModelStatusView[];
  /** Share of each GPU held (0..1) and by whom. */
  gpus: { index: number; used: number; models: string[] }[];
  /** The last switches, newest first. */
  switches: SwitchStatusView[];
}

export interface StatusViewInput {
  snapshot: unknown;
  names: ModelNames;
  /** The multiplexer clock's now (the snapshot's times are in its ms). */
  clockNow: number;
  wallNow: number;
  adminControls: boolean;
}

/** The snake_case, wall-clock view of a multiplexer snapshot that the status page renders. */
export function statusView(input: StatusViewInput): StatusView {
  const snapshot = (input.snapshot ?? {}) as Partial<MuxSnapshot>;
  const wall = (clockMs: number): number => Math.round(input.wallNow - (input.clockNow - clockMs));
  return {
    at: input.wallNow,
    policy: snapshot.policy ?? "unknown",
    closing: snapshot.closed ?? false,
    admin_controls: input.adminControls,
    models: [...modelViews(input.snapshot)].map(([name, view]) => {
      const model = view as Partial<ModelSnapshot>;
      return {
        name,
        aliases: input.names.aliasesOf(name),
        state: view.state,
        sleep_level: model.sleepLevel ?? null,
        queue_depth: view.queueDepth,
        in_flight: view.inFlight,
        awake_since: typeof model.awakeSince === "number" ? wall(model.awakeSince) : null,
        last_error: model.lastError ?? null,
        restarts: model.restarts ?? 0,
        gpus: model.gpus ?? [],
        gpu_memory_utilization: model.gpuMemoryUtilization ?? 0,
      };
    }),
    gpus: (snapshot.gpus ?? []).map((gpu) => ({ index: gpu.index, used: gpu.used, models: gpu.models })),
    switches: [...(snapshot.switches ?? [])].reverse().map((record) => ({
      id: record.id,
      from: record.from,
      to: record.to,
      started_at: wall(record.startedAt),
      duration_ms: Math.round(record.durationMs),
      result: record.result,
      error: record.error ?? null,
      phases: record.phases.map((phase) => ({
        phase: phase.phase,
        model: phase.model,
        level: phase.level ?? null,
        duration_ms: Math.round(phase.durationMs),
        ok: phase.ok,
      })),
    })),
  };
}
