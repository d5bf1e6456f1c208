import { LlmuxError } from "@llmux/types";

export { AbortedError } from "@llmux/types";

/**
 * The validator's error catalogue. Callers match on `code`; the README lists
 * every code and `errors.test.ts` keeps the two in step.
 */

/** The nvidia-smi command could not be found or executed (ENOENT, EACCES). */
export class NvidiaSmiMissingError extends LlmuxError {
  readonly command: string;
  constructor(command: string, options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_NVIDIA_SMI_MISSING", `nvidia-smi command not found or not executable: ${command}`, options);
    this.command = command;
  }
}

/** nvidia-smi ran but exited non-zero, timed out, or printed something that is not one number per GPU. */
export class NvidiaSmiFailedError extends LlmuxError {
  readonly command: string;
  constructor(command: string, message: string, options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_NVIDIA_SMI_FAILED", `${command}: ${message}`, options);
    this.command = command;
  }
}

/** Invalid options: an unknown model, a bad level list, an out-of-range fraction. */
export class ValidateOptionsError extends LlmuxError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_VALIDATE_OPTIONS", message, options);
  }
}

/** The deterministic probe request failed (HTTP error, bad JSON, no answer). */
export class ProbeRequestError extends LlmuxError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_VALIDATE_PROBE", message, options);
  }
}

/** Every code in this catalogue, for the README test. */
export const ERROR_CODES: readonly string[] = [
  "LLMUX_ERR_NVIDIA_SMI_MISSING",
  "LLMUX_ERR_NVIDIA_SMI_FAILED",
  "LLMUX_ERR_VALIDATE_OPTIONS",
  "LLMUX_ERR_VALIDATE_PROBE",
  "LLMUX_ERR_ABORTED",
];
