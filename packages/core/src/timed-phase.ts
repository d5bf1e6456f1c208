import type { Engine } from "@llmux/types";
import type { Clock } from "./clock.js";
import { recordCost, type CostKind } from "./costs.js";
import { messageOf } from "./errors.js";
import type { SwitchPhase } from "./events.js";
import type { MuxState } from "./mux-state.js";
import type { Slot } from "./slot.js";
import { withTimeout } from "./with-timeout.js";

/** Run one phase of a switch and record it in `phases` with its duration, `ok: false` when `body` throws (and rethrow). */
export async function timedPhase(
  clock: Clock,
  phases: SwitchPhase[],
  entry: Omit<SwitchPhase, "durationMs" | "ok">,
  body: () => Promise<void>,
): Promise<number> {
  const started = clock.now();
  try {
    await body();
  } catch (error) {
    phases.push({ ...entry, durationMs: clock.now() - started, ok: false });
    throw error;
  }
  const durationMs = clock.now() - started;
  phases.push({ ...entry, durationMs, ok: true });
  return durationMs;
}

export interface EngineCall {
  phase: "sleep" | "wake" | "start" | "warmup";
  level?: 1 | 2 | 3;
  /** Names the call in a timeout error ("sleep level 1 of a"). */
  what: string;
  timeoutMs: number;
  /** The moving average the duration feeds on success. */
  cost?: CostKind;
  /** `lastError`'s prefix on failure ("sleep failed"). */
  failure: string;
  /** A failure means the engine is suspect: its next cold start counts as a restart. Default true. */
  suspect?: boolean;
  call: (signal: AbortSignal) => Promise<unknown>;
}

/**
 * One engine call of a switch as a timed phase: under its timeout and the
 * switch's signal, failed too if the engine exited meanwhile. A failure is
 * recorded on the slot and returned rather than thrown, since each phase has its
 * own fallback (escalate to a stop, cold start, back off).
 */
export async function enginePhase(
  mux: MuxState,
  slot: Slot,
  engine: Engine,
  phases: SwitchPhase[],
  spec: EngineCall,
  signal: AbortSignal,
): Promise<{ error: unknown } | undefined> {
  const entry = spec.level === undefined ? { phase: spec.phase, model: slot.name } : { phase: spec.phase, model: slot.name, level: spec.level };
  try {
    const durationMs = await timedPhase(mux.clock, phases, entry, async () => {
      await withTimeout(mux.clock, spec.what, spec.timeoutMs, signal, spec.call);
      if (slot.engine !== engine) throw new Error(`engine exited during ${spec.what}`);
    });
    if (spec.cost) recordCost(slot.costs, spec.cost, durationMs);
    return undefined;
  } catch (error) {
    slot.lastError = `${spec.failure}: ${messageOf(error)}`;
    if (spec.suspect !== false) slot.failedSinceStart = true;
    return { error };
  }
}
