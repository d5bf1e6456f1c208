import { LlmuxError } from "@llmux/types";
import { UpstreamFailedError, UpstreamTimeoutError, UpstreamUnavailableError } from "./errors.js";

// Failures to open a connection: nothing reached vLLM, so a retry is safe and
// waiting helps (the process may be restarting).
const CONNECT_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT"]);

const TIMEOUT_CODES: ReadonlySet<string> = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && !code.startsWith("LLMUX_")) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Turn a failure of the upstream exchange into the error the client gets.
 * The lease's abort reason wins (core knows why: crash, preemption); then
 * connect failures (503 + Retry-After), timeouts (504), anything else (502).
 */
export function classifyUpstreamError(error: unknown, model: string, leaseSignal: AbortSignal): LlmuxError {
  if (leaseSignal.aborted && LlmuxError.isInstance(leaseSignal.reason)) return leaseSignal.reason;
  if (LlmuxError.isInstance(error)) return error;
  const code = codeOf(error);
  if (code !== undefined && CONNECT_CODES.has(code)) return new UpstreamUnavailableError(model, error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return new UpstreamTimeoutError(model, error);
  return new UpstreamFailedError(model, error);
}
