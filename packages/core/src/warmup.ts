import type { Engine } from "@llmux/types";
import type { SwitchPhase } from "./events.js";
import type { MuxState } from "./mux-state.js";
import type { Slot } from "./slot.js";
import { enginePhase } from "./timed-phase.js";

/**
 * With `warmup` on, send the freshly started or woken engine one 1-token
 * request before any client is admitted: the first request after a wake is
 * several times slower (lazy CUDA graphs and caches), and that cost belongs in
 * the switch, where it is measured, not in a client's latency. A failed warm-up
 * is recorded and logged but does not fail the switch: the engine answered its
 * health check, and a real request will tell.
 */
export async function warmUpIfWanted(mux: MuxState, slot: Slot, engine: Engine, phases: SwitchPhase[], signal: AbortSignal): Promise<void> {
  if (!slot.config.warmup || !engine.warmUp) return;
  const warmUp = engine.warmUp.bind(engine);
  const failed = await enginePhase(
    mux,
    slot,
    engine,
    phases,
    {
      phase: "warmup",
      what: `warm-up of ${slot.name}`,
      timeoutMs: mux.config.policy.wake_timeout_secs * 1000,
      failure: "warm-up failed",
      suspect: false,
      call: (s) => warmUp({ signal: s }),
    },
    signal,
  );
  if (failed && signal.aborted) throw signal.reason;
}
