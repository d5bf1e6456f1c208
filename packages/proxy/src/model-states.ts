import type { ModelState } from "@llmux/core";

// Listing each state as a key makes the compiler flag a state core adds or drops.
const STATES: Record<ModelState, true> = {
  stopped: true,
  starting: true,
  awake: true,
  draining: true,
  sleeping: true,
  asleep: true,
  waking: true,
  stopping: true,
};

/** Every lifecycle state of a model, for the one-hot `llmux_model_state` gauge. */
export const MODEL_STATES: readonly ModelState[] = Object.keys(STATES) as ModelState[];
