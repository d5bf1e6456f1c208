import type { Engine } from "@llmux/types";
import { messageOf } from "./errors.js";
import type { SwitchPhase } from "./events.js";
import type { Multiplexer } from "./multiplexer.js";
import type { Slot } from "./slot.js";
import { withTimeout } from "./with-timeout.js";

/**
 * With `warmup` on, send the freshly started or woken engine one 1-token
 * request before any client is admitted: the first request after a wake is
 * several times slower (lazy CUDA graphs and caches), and that cost belongs in
 * the switch, where it is measured, not in a client's latency. A failed warm-up
 * is recorded and logged but does not fail the switch: the engine answered its
 * health check, and a real request will tell.
 */
export async function warmUpIfWanted(mux: Multiplexer, slot: Slot, engine: Engine, phases: SwitchPhase[], signal: AbortSignal): Promise<void> {
  if (!slot.config.warmup || !engine.warmUp) return;
  const warmUp = engine.warmUp.bind(engine);
  const clock = mux.clock;
  const started = clock.now();
  try {
    await withTimeout(clock, `warm-up of ${slot.name}`, mux.config.policy.wake_timeout_secs * 1000, signal, (s) => warmUp({ signal: s }));
    phases.push({ phase: "warmup", model: slot.name, durationMs: clock.now() - started, ok: true });
  } catch (error) {
    phases.push({ phase: "warmup", model: slot.name, durationMs: clock.now() - started, ok: false });
    if (signal.aborted) throw signal.reason;
    slot.lastError = `warm-up failed: ${messageOf(error)}`;
  }
}
