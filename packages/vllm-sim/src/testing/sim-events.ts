import { readFileSync } from "node:fs";

/** One line of a simulator's event log (`--sim-event-log`). */
export interface SimEvent {
  /** Epoch milliseconds. */
  t: number;
  pid: number;
  model: string;
  event: "ready" | "request_start" | "request_end" | "sleep" | "wake" | "reload" | "crash" | "exit";
  /** request_start / request_end: the engine's id of the request. */
  id?: string;
  /** request_start / request_end: the client's `x-request-id` (llmux sends its own), when there was one. */
  request_id?: string;
  /** request_end. */
  outcome?: "completed" | "cancelled" | "failed";
  /** crash: `request_while_asleep`, `sleep_with_running_requests`, `fault`, `fault_crash_mid_stream`, `oom_on_wake`, `reload_while_asleep`. */
  reason?: string;
  /** sleep: the effective level (1 or 2). */
  level?: number;
  [field: string]: unknown;
}

/** Read an event log; a missing file is an empty log, a torn last line is skipped. */
export function readSimEvents(path: string): SimEvent[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const events: SimEvent[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      events.push(JSON.parse(line) as SimEvent);
    } catch {
      // A line cut short by a kill: ignore it.
    }
  }
  return events;
}

/** The pid of every simulator that wrote to the event log, each once. */
export function simEventPids(path: string): number[] {
  return [...new Set(readSimEvents(path).map((event) => event.pid))].filter((pid) => typeof pid === "number");
}
