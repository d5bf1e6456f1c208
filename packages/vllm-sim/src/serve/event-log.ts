import { appendFileSync } from "node:fs";

/** Names of the events the simulator records (see docs/internal-contracts.md). */
export type SimEventName = "ready" | "request_start" | "request_end" | "sleep" | "wake" | "reload" | "crash" | "exit";

export interface EventLog {
  emit(event: SimEventName, fields?: Record<string, unknown>): void;
}

/**
 * Append one JSON line per event. `appendFileSync` so that a line is on disk
 * before the process can die: the log must survive a simulated crash.
 */
export function createEventLog(path: string | undefined, model: string): EventLog {
  if (path === undefined) return { emit: () => {} };
  return {
    emit(event, fields = {}) {
      const line = JSON.stringify({ t: Date.now(), pid: process.pid, model, event, ...fields });
      try {
        appendFileSync(path, `${line}\n`);
      } catch {
        // A missing log directory must not take the server down with it.
      }
    },
  };
}
