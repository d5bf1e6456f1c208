export { VERSION } from "./version.js";
export { runValidation } from "./run-validation.js";
export type { RunValidationOptions, RunValidationResult } from "./run-validation.js";
export { EXIT_INTERRUPTED, runValidateCommand } from "./run-command.js";
export type { ValidateCommandIo } from "./run-command.js";
export { validateModel } from "./validate-model.js";
export type { HookContext, ProgressEvent, ValidateModelOptions } from "./validate-model.js";
export { vllmServerFactory, extractWakeCalls } from "./engine.js";
export type { EngineFactory, ValidatorConfig, ValidatorEngine, ValidatorModelConfig } from "./engine.js";
export { NVIDIA_SMI_ARGS, parseNvidiaSmiMemory, readGpuMemory } from "./gpu-memory.js";
export type { GpuMemoryReading, ReadGpuMemoryOptions } from "./gpu-memory.js";
export { settleGpuMemory } from "./settle.js";
export type { SettleClock, SettleOptions } from "./settle.js";
export {
  DEFAULT_MIN_RELEASE,
  DEFAULT_MIN_RESTORE,
  checkResponse,
  checkSleepRelease,
  checkWakeRestore,
  verdict,
} from "./pass-rules.js";
export type { CheckResult, CheckStatus, LevelVerdict, MemoryMeasurements, ThresholdOptions } from "./pass-rules.js";
export { HEADER, RULE, NOT_MEASURED, formatJson, formatReport, formatRow, resultLine } from "./format-table.js";
export { EXIT_FAILED, EXIT_NOT_VERIFIED, EXIT_PASSED, EXIT_USAGE, summarize } from "./report.js";
export type { LevelReport, ValidateLevel, ValidationReport, ValidationResult, WakeCallTiming } from "./report.js";
export { PROBE_QUESTION, askProbe, probeBody } from "./probe.js";
export { ProgressLine, describeStep } from "./progress.js";
export { createValidateCommand, parseFraction, parseLevels, parseValidateArgs } from "./cli-options.js";
export type { ValidateCliOptions } from "./cli-options.js";
export { loadConfigFile } from "./load-config.js";
export {
  ERROR_CODES,
  NvidiaSmiFailedError,
  NvidiaSmiMissingError,
  ProbeRequestError,
  AbortedError,
  ValidateOptionsError,
} from "./errors.js";
