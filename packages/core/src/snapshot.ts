import { cloneCosts, type ModelCosts } from "./costs.js";
import type { SwitchRecord } from "./events.js";
import type { ModelState } from "./model-state.js";
import type { MuxState } from "./mux-state.js";
import type { PreloadProgress } from "./preload.js";
import type { Slot } from "./slot.js";

export interface ModelSnapshot {
  name: string;
  state: ModelState;
  /** Level it sleeps at now (1 or 2), 3 when stopped, null when up. */
  sleepLevel: 1 | 2 | 3 | null;
  /** Configured level used when it is evicted. */
  configuredSleepLevel: 1 | 2 | 3;
  queueDepth: number;
  inFlight: number;
  /** Clock ms since which it is awake, or null. */
  awakeSince: number | null;
  costs: ModelCosts;
  lastError: string | null;
  restarts: number;
  /** Seconds left of a start-up backoff, or 0. */
  backoffSecs: number;
  gpus: number[];
  gpuMemoryUtilization: number;
  /** Admission limit: requests in its vLLM at once. */
  max_concurrency: number;
  /** Measured drains (moving average and 90th percentile of recent ones), null before the first. */
  drain: { avg_ms: number; p90_ms: number; samples: number } | null;
  /**
   * Measured service: decode time per token and output lengths from leases
   * released with their completion tokens, lease times; each null until 20
   * samples (`ms_per_token` from the first report).
   */
  service: ServiceView;
  /** `auto`: llmux chooses its GPUs at each start (`gpus` is the last choice); `fixed`: the config's `gpus`. */
  placement: "auto" | "fixed";
  /** A reload removed it: it serves what it queued, then stops and leaves the list. */
  removing: boolean;
  /** A reload changed its settings: they apply at its next start. */
  settings_pending: boolean;
}

export interface ServiceView {
  ms_per_token: number | null;
  lease_p50_ms: number | null;
  output_tokens_p50: number | null;
  output_tokens_p90: number | null;
  /** Lease times and reported output lengths in the window (at most 200 each). */
  leases: number;
  reported: number;
}

export interface GpuSnapshot {
  index: number;
  /** Share of the GPU held (awake models' fractions + sleepers' reserves), 0..1. */
  used: number;
  models: string[];
}

export interface MuxSnapshot {
  at: number;
  policy: string;
  closed: boolean;
  models: ModelSnapshot[];
  gpus: GpuSnapshot[];
  /** The last switches, oldest first. */
  switches: SwitchRecord[];
  /** Progress of the start-up preload. */
  preload: PreloadProgress;
}

export function buildSnapshot(mux: MuxState): MuxSnapshot {
  const now = mux.clock.now();
  const reserve = mux.config.gpu.sleep_reserve_gib / mux.config.gpu.memory_gib;
  const gpus = new Map<number, GpuSnapshot>();
  const models: ModelSnapshot[] = [];
  for (const slot of mux.slots.values()) {
    const held = slot.state === "stopped" ? 0 : slot.state === "asleep" ? reserve : slot.fraction;
    for (const index of slot.config.gpus) {
      const gpu = gpus.get(index) ?? { index, used: 0, models: [] };
      if (held > 0) {
        gpu.used += held;
        gpu.models.push(slot.name);
      }
      gpus.set(index, gpu);
    }
    models.push({
      name: slot.name,
      state: slot.state,
      sleepLevel: slot.state === "asleep" ? slot.asleepLevel : slot.state === "stopped" ? 3 : null,
      configuredSleepLevel: slot.config.sleep_level,
      queueDepth: slot.waiters.length,
      inFlight: slot.leases.size,
      awakeSince: slot.awakeSince,
      costs: cloneCosts(slot.costs),
      lastError: slot.lastError,
      restarts: slot.restarts,
      backoffSecs: slot.backoffUntil > now ? Math.ceil((slot.backoffUntil - now) / 1000) : 0,
      gpus: [...slot.config.gpus],
      gpuMemoryUtilization: slot.fraction,
      max_concurrency: slot.admitLimit,
      drain: drainOf(slot),
      service: serviceOf(slot),
      placement: slot.config.placement,
      removing: slot.removing,
      settings_pending: slot.pendingConfig !== null,
    });
  }
  return {
    at: now,
    policy: mux.policy.name,
    closed: mux.closing,
    models,
    gpus: [...gpus.values()].sort((a, b) => a.index - b.index).map((gpu) => ({ ...gpu, used: Math.round(gpu.used * 1e4) / 1e4 })),
    switches: mux.history.map((record) => ({ ...record, phases: [...record.phases] })),
    preload: { ...mux.preloadProgress, models: mux.preloadProgress.models.map((model) => ({ ...model })) },
  };
}

function drainOf(slot: Slot): ModelSnapshot["drain"] {
  const drain = slot.service.drain();
  return drain === null ? null : { avg_ms: Math.round(drain.avgMs), p90_ms: Math.round(drain.p90Ms), samples: drain.samples };
}

function serviceOf(slot: Slot): ServiceView {
  const service = slot.service.summary();
  const round = (value: number | null, digits = 0) => (value === null ? null : Number(value.toFixed(digits)));
  return {
    ms_per_token: round(service.msPerToken, 2),
    lease_p50_ms: round(service.heldP50Ms),
    output_tokens_p50: service.outputTokensP50,
    output_tokens_p90: service.outputTokensP90,
    leases: service.leases,
    reported: service.reported,
  };
}
