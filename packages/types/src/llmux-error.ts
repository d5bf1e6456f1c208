const MARKER = Symbol.for("llmux.error");

export interface LlmuxErrorOptions {
  cause?: unknown;
  /** HTTP status for errors that can reach a client. */
  status?: number;
  /** How long a client should wait before retrying (the `Retry-After` header). */
  retryAfterSecs?: number;
}

/**
 * Base class of every coded llmux error. Each package keeps its own catalogue
 * of subclasses; callers match on `code`, never on the message.
 *
 * `isInstance` checks a `Symbol.for` marker rather than the prototype chain:
 * `instanceof` answers false as soon as a project installs two copies of this
 * package (two versions, or a bundled one beside a linked one).
 */
export class LlmuxError extends Error {
  readonly code: string;
  /** HTTP status for errors that can reach a client; undefined otherwise. */
  readonly status: number | undefined;
  /** Seconds a client should wait before retrying; undefined when retrying at once is fine or pointless. */
  readonly retryAfterSecs: number | undefined;
  /** The marker `isInstance` reads; a symbol from the global registry, so every copy of this package shares it. */
  readonly [MARKER] = true;

  constructor(code: string, message: string, options: LlmuxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
    this.retryAfterSecs = options.retryAfterSecs;
  }

  /** True for an LlmuxError from any copy of this package, optionally with the given code. */
  static isInstance(error: unknown, code?: string): error is LlmuxError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as { [MARKER]?: unknown })[MARKER] === true &&
      (code === undefined || (error as LlmuxError).code === code)
    );
  }
}

/** True when `error` is an LlmuxError (from any copy of the package) with the given code. */
export function isLlmuxError(error: unknown, code?: string): error is LlmuxError {
  return LlmuxError.isInstance(error, code);
}
