/**
 * Every lifecycle state core's `ModelState` can take, for the one-hot
 * `llmux_model_state` gauge (a type cannot be enumerated at run time).
 */
export const MODEL_STATES: readonly string[] = [
  "stopped",
  "starting",
  "awake",
  "draining",
  "sleeping",
  "asleep",
  "waking",
  "stopping",
];
