export { LlmuxError, isLlmuxError } from "./llmux-error.js";
export type { LlmuxErrorOptions } from "./llmux-error.js";
export { AbortedError, ShuttingDownError } from "./shared-errors.js";
export { ERROR_CODES } from "./error-codes.js";
export type { LlmuxErrorCode } from "./error-codes.js";
export type { Engine, EngineCallOptions, EngineExit, EngineSleepOptions, SleepLevel } from "./engine.js";
