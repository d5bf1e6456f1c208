/**
 * Lifecycle of one model:
 *
 *     stopped -> starting -> awake <-> draining -> sleeping -> asleep -> waking -> awake
 *     awake|draining|asleep -> stopping -> stopped;  a crash anywhere -> stopped
 */
export type ModelState = "stopped" | "starting" | "awake" | "draining" | "sleeping" | "asleep" | "waking" | "stopping";

/** States in which the model holds its full GPU fraction. */
export function holdsFullMemory(state: ModelState): boolean {
  return state === "starting" || state === "awake" || state === "draining" || state === "sleeping" || state === "waking" || state === "stopping";
}
