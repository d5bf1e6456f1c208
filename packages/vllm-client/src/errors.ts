import { AbortedError, LlmuxError } from "@llmux/types";

export { AbortedError };

/**
 * The catalogue of errors `@llmux/vllm-client` raises. Callers match on
 * `code`; the README lists every code and `errors.test.ts` keeps both in step.
 * None of them carries an HTTP `status`: they describe an engine, and the
 * layer that answers clients (core/proxy) decides what a client sees.
 */

interface ErrorOptions {
  cause?: unknown;
}

/** Start-up context shared by the errors a failed `start()` raises. */
interface StartContext extends ErrorOptions {
  /** The last lines the process printed, oldest first. */
  lastLines?: string[];
}

function withLines(message: string, lastLines: string[] | undefined): string {
  if (lastLines === undefined || lastLines.length === 0) return message;
  return `${message}\n--- last log lines ---\n${lastLines.join("\n")}`;
}

/** Something already listens on the port the engine was told to use. Nothing was spawned. */
export class PortInUseError extends LlmuxError {
  readonly port: number;
  readonly host: string;
  constructor(host: string, port: number, options: ErrorOptions = {}) {
    super("LLMUX_ERR_PORT_IN_USE", `port ${port} on ${host} is already in use; choose another port or stop what holds it`, options);
    this.port = port;
    this.host = host;
  }
}

/**
 * Something other than the engine llmux spawned listens on the engine's port:
 * its `/health` proves nothing, and calling it ready would send requests and
 * `/sleep` to someone else's server. The start fails and the engine is stopped.
 */
export class ForeignListenerError extends LlmuxError {
  readonly port: number;
  readonly host: string;
  constructor(host: string, port: number, options: ErrorOptions = {}) {
    super(
      "LLMUX_ERR_FOREIGN_LISTENER",
      `another process listens on ${host}:${port} besides the vLLM server llmux started; refusing to use it (give the model a port nothing else uses)`,
      options,
    );
    this.port = port;
    this.host = host;
  }
}

/** The engine's Unix socket is not one only llmux's user can reach, or someone else listens on it. */
export class UnsafeSocketError extends LlmuxError {
  readonly socketPath: string;
  constructor(socketPath: string, reason: unknown, options: ErrorOptions = {}) {
    super("LLMUX_ERR_UNSAFE_SOCKET", `refusing the engine socket ${socketPath}: ${String(reason)}`, options);
    this.socketPath = socketPath;
  }
}

/** How a process ended, for the errors that report it. */
type EndContext = StartContext & { exitCode?: number | null; signal?: NodeJS.Signals | null };

/** What the errors about a process that ended carry: how it ended and its last lines. */
abstract class ProcessEndedError extends LlmuxError {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lastLines: string[];
  constructor(code: string, message: string, options: EndContext) {
    super(code, withLines(message, options.lastLines), options);
    this.exitCode = options.exitCode ?? null;
    this.signal = options.signal ?? null;
    this.lastLines = options.lastLines ?? [];
  }
}

/** The process could not be spawned, or exited before `/health` answered 200. */
export class StartFailedError extends ProcessEndedError {
  constructor(message: string, options: EndContext = {}) {
    super("LLMUX_ERR_START_FAILED", message, options);
  }
}

/** `/health` did not answer 200 within `startupTimeoutMs`; the process group was killed. */
export class StartTimeoutError extends LlmuxError {
  readonly timeoutMs: number;
  readonly lastLines: string[];
  constructor(timeoutMs: number, options: StartContext = {}) {
    super("LLMUX_ERR_START_TIMEOUT", withLines(`engine not ready after ${timeoutMs} ms; its process group was killed`, options.lastLines), options);
    this.timeoutMs = timeoutMs;
    this.lastLines = options.lastLines ?? [];
  }
}

/** A call of the sleep sequence (`/pause`, `/sleep`, the `/is_sleeping` check) failed. */
export class SleepFailedError extends LlmuxError {
  readonly level: number;
  constructor(level: number, message: string, options: ErrorOptions = {}) {
    super("LLMUX_ERR_SLEEP_FAILED", message, options);
    this.level = level;
  }
}

/** A call of the sleep sequence did not answer within its timeout. */
export class SleepTimeoutError extends LlmuxError {
  readonly level: number;
  readonly timeoutMs: number;
  constructor(level: number, timeoutMs: number, options: ErrorOptions = {}) {
    super("LLMUX_ERR_SLEEP_TIMEOUT", `sleep at level ${level} did not finish within ${timeoutMs} ms`, options);
    this.level = level;
    this.timeoutMs = timeoutMs;
  }
}

/** A call of the wake sequence failed, or `/is_sleeping` still said true afterwards. */
export class WakeFailedError extends LlmuxError {
  readonly level: number;
  constructor(level: number, message: string, options: ErrorOptions = {}) {
    super("LLMUX_ERR_WAKE_FAILED", message, options);
    this.level = level;
  }
}

/** A call of the wake sequence did not answer within its timeout. */
export class WakeTimeoutError extends LlmuxError {
  readonly level: number;
  readonly timeoutMs: number;
  constructor(level: number, timeoutMs: number, options: ErrorOptions = {}) {
    super("LLMUX_ERR_WAKE_TIMEOUT", `wake from level ${level} did not finish within ${timeoutMs} ms`, options);
    this.level = level;
    this.timeoutMs = timeoutMs;
  }
}

/** A call was made while or after the process died on its own (not through `stop()`). */
export class EngineExitedError extends ProcessEndedError {
  constructor(message: string, options: EndContext = {}) {
    super("LLMUX_ERR_ENGINE_EXITED", message, options);
  }
}

/** A call was made after (or interrupted by) `stop()`. */
export class EngineStoppedError extends LlmuxError {
  constructor(message = "engine was stopped", options: ErrorOptions = {}) {
    super("LLMUX_ERR_ENGINE_STOPPED", message, options);
  }
}

/** A call was made in a state that does not allow it (e.g. `sleep()` before `start()`). */
export class EngineStateError extends LlmuxError {
  constructor(message: string, options: ErrorOptions = {}) {
    super("LLMUX_ERR_ENGINE_STATE", message, options);
  }
}

/** A control route answered a status it should not have. */
export class ControlHttpError extends LlmuxError {
  readonly method: string;
  readonly route: string;
  /** The status vLLM answered (not an HTTP status for llmux's clients; hence not `status`). */
  readonly responseStatus: number;
  /** The response body, truncated to 2 KiB. */
  readonly responseBody: string;
  constructor(method: string, route: string, responseStatus: number, responseBody: string, options: ErrorOptions = {}) {
    const shown = responseBody.length > 0 ? `: ${responseBody.slice(0, 300)}` : "";
    super("LLMUX_ERR_CONTROL_HTTP", `${method} ${route} answered ${responseStatus}${shown}`, options);
    this.method = method;
    this.route = route;
    this.responseStatus = responseStatus;
    this.responseBody = responseBody.slice(0, 2048);
  }
}

/** A control route did not answer within the call's timeout. */
export class ControlTimeoutError extends LlmuxError {
  readonly method: string;
  readonly route: string;
  readonly timeoutMs: number;
  constructor(method: string, route: string, timeoutMs: number, options: ErrorOptions = {}) {
    super("LLMUX_ERR_CONTROL_TIMEOUT", `${method} ${route} did not answer within ${timeoutMs} ms`, options);
    this.method = method;
    this.route = route;
    this.timeoutMs = timeoutMs;
  }
}

/** A control route could not be reached (connection refused or reset, socket closed mid-answer). */
export class ControlUnreachableError extends LlmuxError {
  readonly method: string;
  readonly route: string;
  /** No response byte had arrived when the connection failed. */
  readonly beforeResponse: boolean;
  constructor(method: string, route: string, options: ErrorOptions & { beforeResponse?: boolean } = {}) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : "";
    super("LLMUX_ERR_CONTROL_UNREACHABLE", `${method} ${route} could not reach the engine${reason}`, { cause: options.cause });
    this.method = method;
    this.route = route;
    this.beforeResponse = options.beforeResponse ?? false;
  }
}

/** A control route answered 200 with a body that does not have the contract's shape. */
export class ControlResponseError extends LlmuxError {
  readonly method: string;
  readonly route: string;
  constructor(method: string, route: string, message: string, options: ErrorOptions = {}) {
    super("LLMUX_ERR_CONTROL_RESPONSE", `${method} ${route}: ${message}`, options);
    this.method = method;
    this.route = route;
  }
}

/** Every error class of this package, for documentation checks and `instanceof` switches. */
export const errorCatalogue = {
  LLMUX_ERR_PORT_IN_USE: PortInUseError,
  LLMUX_ERR_FOREIGN_LISTENER: ForeignListenerError,
  LLMUX_ERR_UNSAFE_SOCKET: UnsafeSocketError,
  LLMUX_ERR_START_FAILED: StartFailedError,
  LLMUX_ERR_START_TIMEOUT: StartTimeoutError,
  LLMUX_ERR_SLEEP_FAILED: SleepFailedError,
  LLMUX_ERR_SLEEP_TIMEOUT: SleepTimeoutError,
  LLMUX_ERR_WAKE_FAILED: WakeFailedError,
  LLMUX_ERR_WAKE_TIMEOUT: WakeTimeoutError,
  LLMUX_ERR_ENGINE_EXITED: EngineExitedError,
  LLMUX_ERR_ENGINE_STOPPED: EngineStoppedError,
  LLMUX_ERR_ENGINE_STATE: EngineStateError,
  LLMUX_ERR_CONTROL_HTTP: ControlHttpError,
  LLMUX_ERR_CONTROL_TIMEOUT: ControlTimeoutError,
  LLMUX_ERR_CONTROL_UNREACHABLE: ControlUnreachableError,
  LLMUX_ERR_CONTROL_RESPONSE: ControlResponseError,
  LLMUX_ERR_ABORTED: AbortedError,
} as const;

export type VllmClientErrorCode = keyof typeof errorCatalogue;
