import { LlmuxError } from "./llmux-error.js";

/**
 * The caller's `AbortSignal` aborted the call (a control call, a start, or a
 * request waiting for its model); `cause` is the signal's reason. 499 when it
 * reaches HTTP, though the client that aborted never reads it.
 */
export class AbortedError extends LlmuxError {
  constructor(message = "the call was aborted", options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_ABORTED", message, { cause: options.cause, status: 499 });
  }
}

/**
 * llmux is closing: the multiplexer, the proxy and the binary all refuse new
 * work and cut what `destroy()` interrupts with this one error, so a client
 * sees one code whichever layer noticed first.
 */
export class ShuttingDownError extends LlmuxError {
  constructor(options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_SHUTTING_DOWN", "llmux is shutting down.", { cause: options.cause, status: 503, retryAfterSecs: 5 });
  }
}
