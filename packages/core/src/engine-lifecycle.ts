import type { Engine, EngineExit } from "@llmux/types";
import { EngineCrashedError } from "./errors.js";
import type { MuxState } from "./mux-state.js";
import type { Slot } from "./slot.js";

/** Create the engine for a cold start and watch its exit. */
export function createEngine(mux: MuxState, slot: Slot): Engine {
  const engine = mux.engineFactory(slot.name, slot.config, mux.config);
  slot.engine = engine;
  slot.stopRequested = false;
  slot.unsubscribeExit = engine.onExit((exit) => onEngineExit(mux, slot, engine, exit));
  return engine;
}

/**
 * A process exit is noticed at once: an unexpected one fails the model's
 * leases (502-class) and leaves the model stopped; the next request restarts it.
 */
function onEngineExit(mux: MuxState, slot: Slot, engine: Engine, exit: EngineExit): void {
  if (slot.engine !== engine) return;
  const expected = exit.expected || slot.stopRequested;
  mux.emit({ type: "engine-exit", model: slot.name, at: mux.clock.now(), exit, expected });
  slot.unsubscribeExit?.();
  slot.unsubscribeExit = null;
  slot.engine = null;
  slot.asleepLevel = null;
  if (!expected) {
    const detail = exit.signal ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
    slot.lastError = `engine exited unexpectedly (${detail})`;
    slot.failedSinceStart = true;
    mux.revokeLeases(slot, new EngineCrashedError(slot.name, detail, exit));
  }
  // A switch in progress notices through its failing engine call; a stop in
  // progress sets the state itself.
  if (!slot.busy || !expected) mux.setState(slot, "stopped");
  mux.schedule();
}

/** Stop the slot's engine (level 3); resolves when the process is gone. */
export async function stopEngine(mux: MuxState, slot: Slot): Promise<void> {
  const engine = slot.engine;
  if (!engine) {
    mux.setState(slot, "stopped");
    return;
  }
  slot.stopRequested = true;
  mux.setState(slot, "stopping");
  try {
    await engine.stop();
  } finally {
    if (slot.engine === engine) {
      slot.unsubscribeExit?.();
      slot.unsubscribeExit = null;
      slot.engine = null;
    }
    slot.asleepLevel = null;
    mux.setState(slot, "stopped");
  }
}
