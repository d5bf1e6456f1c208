export { VERSION } from "./version.js";
export type { Engine, EngineCallOptions, EngineExit, EngineSleepOptions, SleepLevel } from "./engine.js";
export { LlmuxError, isLlmuxError } from "./llmux-error.js";
