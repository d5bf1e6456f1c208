/**
 * Base class of every coded llmux error. Each package keeps its own catalogue
 * of subclasses; callers match on `code`, never on the message.
 */
export class LlmuxError extends Error {
  readonly code: string;
  /** HTTP status for errors that can reach a client; undefined otherwise. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
  }
}

/** True when `error` is an LlmuxError with the given code. */
export function isLlmuxError(error: unknown, code?: string): error is LlmuxError {
  return error instanceof LlmuxError && (code === undefined || error.code === code);
}
