/**
 * One harness for tests and benchmarks that run the built `llmux` binary:
 * a workspace (config, state file, simulated GPU, event log), the process
 * with its JSON log lines, and a shutdown that reports what was left behind.
 */
export { LlmuxProcess, llmuxBinPath, type ExitStatus, type LlmuxProcessOptions, type LogLine } from "./llmux-process.js";
export { Workspace, waitGone, type CleanupReport, type ServeOptions } from "./workspace.js";
export { simConfig, type SimModelSpec } from "./sim-config.js";
export { descendants } from "../proc-info.js";
