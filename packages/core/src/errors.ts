import { AbortedError, LlmuxError } from "@llmux/types";

export { AbortedError, ShuttingDownError } from "@llmux/types";

/**
 * The error catalogue of `@llmux/core`. Callers match on `code`; `status` is the
 * HTTP status the proxy should answer with; `retryAfterSecs` (when set) is how
 * long a client should wait before trying again (`Retry-After`).
 */
export class CoreError extends LlmuxError {}

export interface ConfigIssue {
  /** JSON path of the offending value, e.g. `models["qwen"].port`. */
  path: string;
  /** What was expected and what was found. */
  message: string;
}

export class ConfigError extends CoreError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map((issue) => `  ${issue.path || "(root)"}: ${issue.message}`);
    super("LLMUX_ERR_CONFIG", `Invalid llmux config:\n${lines.join("\n")}`, options);
    this.issues = issues;
  }
}

export class UnknownModelError extends CoreError {
  constructor(model: string, known: string[]) {
    super("LLMUX_ERR_UNKNOWN_MODEL", `The model \`${model}\` does not exist. Known models: ${known.join(", ")}.`, {
      status: 404,
    });
  }
}

export class QueueTimeoutError extends CoreError {
  constructor(model: string, waitedMs: number) {
    super("LLMUX_ERR_QUEUE_TIMEOUT", `Timed out after ${(waitedMs / 1000).toFixed(1)} s waiting for model \`${model}\` to become available.`, {
      status: 504,
    });
  }
}

/** The client's signal aborted while its request waited for `model` (499: never sent, the client is gone). */
export function requestAbortedError(model: string, cause?: unknown): AbortedError {
  return new AbortedError(`The request for model \`${model}\` was aborted by its client.`, { cause });
}

export class ModelStartFailedError extends CoreError {
  constructor(model: string, cause: unknown, retryAfterSecs?: number) {
    const tail = lastLinesOf(cause);
    super(
      "LLMUX_ERR_MODEL_START_FAILED",
      `Model \`${model}\` failed to start: ${messageOf(cause)}${tail.length > 0 ? `\nLast log lines:\n${tail.join("\n")}` : ""}`,
      retryAfterSecs === undefined ? { status: 503, cause } : { status: 503, cause, retryAfterSecs },
    );
  }
}

export class ModelBackoffError extends CoreError {
  constructor(model: string, retryAfterSecs: number, cause: unknown) {
    super("LLMUX_ERR_MODEL_BACKOFF", `Model \`${model}\` failed to start recently (${messageOf(cause)}); not retrying for another ${retryAfterSecs} s.`, {
      status: 503,
      cause,
      retryAfterSecs,
    });
  }
}

export class EngineCrashedError extends CoreError {
  constructor(model: string, detail: string, cause?: unknown) {
    super("LLMUX_ERR_ENGINE_CRASHED", `The engine of model \`${model}\` exited unexpectedly (${detail}).`, {
      status: 502,
      cause,
    });
  }
}

export class PreemptedError extends CoreError {
  constructor(model: string, reason: string) {
    super("LLMUX_ERR_PREEMPTED", `The request to model \`${model}\` was preempted: ${reason}.`, {
      status: 503,
      retryAfterSecs: 1,
    });
  }
}

/**
 * The reason a preemptible lease aborts when a switch pauses its request: the
 * holder keeps what was generated and asks again with `resume` (the request
 * goes back to the head of its model's queue). Reaches a client only from a
 * holder that cannot resume.
 */
export class RequestPausedError extends CoreError {
  constructor(model: string, drainSecs: number) {
    super("LLMUX_ERR_REQUEST_PAUSED", `The request to model \`${model}\` was paused after ${drainSecs} s of drain for a switch.`, {
      status: 503,
      retryAfterSecs: 1,
    });
  }
}

export class SwitchFailedError extends CoreError {
  constructor(model: string, cause: unknown, retryAfterSecs?: number) {
    super(
      "LLMUX_ERR_SWITCH_FAILED",
      `Could not bring model \`${model}\` up: ${messageOf(cause)}`,
      retryAfterSecs === undefined ? { status: 503, cause } : { status: 503, cause, retryAfterSecs },
    );
  }
}

export class DoesNotFitError extends CoreError {
  constructor(model: string, detail: string) {
    super("LLMUX_ERR_DOES_NOT_FIT", `Model \`${model}\` cannot fit in GPU memory: ${detail}.`, { status: 503 });
  }
}

export class OverloadedError extends CoreError {
  constructor(model: string, detail: string, retryAfterSecs: number) {
    super("LLMUX_ERR_OVERLOADED", `Too many requests are waiting for \`${model}\`: ${detail}. Retry in ${retryAfterSecs} s.`, { status: 429, retryAfterSecs });
  }
}

/** Every code this package throws, for the README check and for callers. */
export const CORE_ERROR_CODES = [
  "LLMUX_ERR_CONFIG",
  "LLMUX_ERR_UNKNOWN_MODEL",
  "LLMUX_ERR_QUEUE_TIMEOUT",
  "LLMUX_ERR_ABORTED",
  "LLMUX_ERR_MODEL_START_FAILED",
  "LLMUX_ERR_MODEL_BACKOFF",
  "LLMUX_ERR_ENGINE_CRASHED",
  "LLMUX_ERR_PREEMPTED",
  "LLMUX_ERR_REQUEST_PAUSED",
  "LLMUX_ERR_SWITCH_FAILED",
  "LLMUX_ERR_SHUTTING_DOWN",
  "LLMUX_ERR_DOES_NOT_FIT",
  "LLMUX_ERR_OVERLOADED",
] as const;

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The engine's last log lines when the error (or its causes) carries them. */
function lastLinesOf(error: unknown): string[] {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const lines = (current as { lastLines?: unknown }).lastLines;
    if (Array.isArray(lines)) return lines.slice(-10).map(String);
    current = (current as { cause?: unknown }).cause;
  }
  return [];
}
