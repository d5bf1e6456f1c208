/**
 * The simulator's error catalogue. The simulator stands alone (it must not
 * share code with the packages it tests, and `@llmux/vllm-client` already
 * depends on it for its tests), so its base class mirrors `LlmuxError`
 * (`code`, `status`, `cause`) instead of extending it, and carries the same
 * `Symbol.for("llmux.error")` marker so `LlmuxError.isInstance` recognises it.
 */
const LLMUX_ERROR_MARKER = Symbol.for("llmux.error");

export class SimError extends Error {
  readonly code: string;
  readonly [LLMUX_ERROR_MARKER] = true;
  /** HTTP status for errors that reach a client of the simulator. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
  }
}

/** A `--sim-*` flag, `VLLM_SIM_*` variable or vLLM argument has a bad value. */
export class SimConfigError extends SimError {
  static readonly code = "LLMUX_ERR_SIM_CONFIG";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(SimConfigError.code, message, options);
  }
}

/** `POST /_sim/fault` named a fault the simulator does not know. */
export class SimUnknownFaultError extends SimError {
  static readonly code = "LLMUX_ERR_SIM_UNKNOWN_FAULT";
  constructor(name: string) {
    super(SimUnknownFaultError.code, `unknown fault ${JSON.stringify(name)}`, { status: 400 });
  }
}

/** `spawnSim()`: the simulator exited before it answered `/health`. */
export class SimExitedError extends SimError {
  static readonly code = "LLMUX_ERR_SIM_EXITED";
  readonly exitCode: number | null;
  readonly signal: string | null;
  constructor(exitCode: number | null, signal: string | null, lastLines: string[]) {
    super(SimExitedError.code, `vllm-sim exited (code ${exitCode}, signal ${signal}) before it was ready; last lines:\n${lastLines.join("\n")}`);
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/** `spawnSim()`: `/health` did not answer 200 within the ready timeout. */
export class SimReadyTimeoutError extends SimError {
  static readonly code = "LLMUX_ERR_SIM_READY_TIMEOUT";
  constructor(timeoutMs: number) {
    super(SimReadyTimeoutError.code, `vllm-sim was not ready within ${timeoutMs} ms`);
  }
}

/** A call to a `/_sim/*` control route from the testing helpers failed. */
export class SimControlError extends SimError {
  static readonly code = "LLMUX_ERR_SIM_CONTROL";
  constructor(message: string, options: { cause?: unknown; status?: number } = {}) {
    super(SimControlError.code, message, options);
  }
}

/** Every error class of the catalogue, for the README check. */
export const simErrorClasses = [SimConfigError, SimUnknownFaultError, SimExitedError, SimReadyTimeoutError, SimControlError] as const;
