import { LlmuxError } from "@llmux/types";

/**
 * The catalogue of errors the `llmux` binary and `startLlmux()` raise
 * themselves. Errors of the libraries (config, engine, proxy) pass through
 * with their own codes. The README lists every code; a test keeps both in step.
 */

/** A command line that cannot be run (unknown option, bad value, missing argument). Exit code 2. */
export class CliUsageError extends LlmuxError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_CLI_USAGE", message, options);
  }
}

/** The config file cannot be read or is not JSON. Exit code 2. */
export class ConfigFileError extends LlmuxError {
  readonly path: string;
  constructor(path: string, message: string, options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_CONFIG_FILE", message, options);
    this.path = path;
  }
}

/** The state file (the record of spawned vLLM process groups) cannot be read or written. */
export class StateFileError extends LlmuxError {
  readonly path: string;
  constructor(path: string, message: string, options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_STATE_FILE", message, options);
    this.path = path;
  }
}

/** `startLlmux()` could not bring the server up (port in use, proxy failed to listen). Exit code 1. */
export class StartupError extends LlmuxError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_STARTUP", message, options);
  }
}

/** Every code this package defines, for the README check. */
export const CLI_ERROR_CODES = [
  "LLMUX_ERR_CLI_USAGE",
  "LLMUX_ERR_CONFIG_FILE",
  "LLMUX_ERR_STATE_FILE",
  "LLMUX_ERR_STARTUP",
  "LLMUX_ERR_SHUTTING_DOWN",
] as const;
