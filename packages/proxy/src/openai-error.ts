import type { ServerResponse } from "node:http";
import { LlmuxError } from "@llmux/types";
import { InternalProxyError, MethodNotAllowedError, ProxyError } from "./errors.js";

/** OpenAI's error body, as vLLM also sends it. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | number | null };
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: OpenAIErrorBody;
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: "BadRequestError",
  401: "AuthenticationError",
  403: "PermissionDeniedError",
  404: "NotFoundError",
  405: "MethodNotAllowed",
  408: "BadRequestError",
  409: "ConflictError",
  413: "BadRequestError",
  415: "BadRequestError",
  429: "RateLimitError",
  500: "InternalServerError",
  502: "BadGatewayError",
  503: "ServiceUnavailableError",
  504: "GatewayTimeoutError",
};

/**
 * Turn any error into the status, headers and OpenAI-shaped body a client gets.
 * Coded errors (ours and core's) keep their status and code; anything else is
 * a 500 that does not leak its message.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  const coded = LlmuxError.isInstance(error) && error.status !== undefined ? error : new InternalProxyError(error);
  const status = coded.status ?? 500;
  const headers: Record<string, string> = {};
  const retryAfter = retryAfterOf(coded);
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  if (coded instanceof MethodNotAllowedError) headers.allow = coded.allow.join(", ");
  const type = coded instanceof ProxyError ? coded.type : (TYPE_BY_STATUS[status] ?? "InternalServerError");
  const param = coded instanceof ProxyError ? coded.param : null;
  return { status, headers, body: { error: { message: coded.message, type, param, code: coded.code } } };
}

/** Retry-After in whole seconds (at least 1) from `retryAfterSecs` on our or core's errors. */
function retryAfterOf(error: LlmuxError): number | undefined {
  const value = error.retryAfterSecs;
  if (value === undefined || !Number.isFinite(value) || value < 0) return undefined;
  return Math.max(1, Math.ceil(value));
}

/** Send an error as a complete JSON response. No-op when headers already went out. */
export function sendError(res: ServerResponse, error: unknown, extraHeaders: Record<string, string> = {}): ErrorResponse {
  const response = toErrorResponse(error);
  if (res.headersSent || res.destroyed) return response;
  const payload = JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...response.headers,
    ...extraHeaders,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
  });
  res.end(payload);
  return response;
}

/** Send a JSON value with status 200 (or `status`). */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const payload = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) });
  res.end(payload);
}
