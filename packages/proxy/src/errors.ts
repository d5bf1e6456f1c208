import { LlmuxError } from "@llmux/types";

export { ShuttingDownError } from "@llmux/types";

/**
 * The proxy's error catalogue. Every error that the proxy itself produces is
 * one of these classes; each has a stable `code` and the HTTP `status` the
 * client receives. The README lists every code (a test keeps them in step).
 */

export class ProxyError extends LlmuxError {
  /** OpenAI error `type` for the response body. */
  readonly type: string;
  /** OpenAI error `param` (the offending field), or null. */
  readonly param: string | null;

  constructor(code: string, message: string, options: { status: number; type: string; cause?: unknown; retryAfterSecs?: number; param?: string | null }) {
    super(code, message, { status: options.status, cause: options.cause, retryAfterSecs: options.retryAfterSecs });
    this.type = options.type;
    this.param = options.param ?? null;
  }
}

/** The path is not one llmux serves (or forwards). 404. */
export class RouteNotFoundError extends ProxyError {
  constructor(path: string) {
    super("LLMUX_ERR_ROUTE_NOT_FOUND", `Route ${JSON.stringify(path)} not found.`, {
      status: 404,
      type: "NotFoundError",
    });
  }
}

/** The path is known but not with this method. 405. */
export class MethodNotAllowedError extends ProxyError {
  readonly allow: readonly string[];
  constructor(method: string, path: string, allow: readonly string[]) {
    super("LLMUX_ERR_METHOD_NOT_ALLOWED", `Method ${method} is not allowed on ${path}.`, {
      status: 405,
      type: "MethodNotAllowed",
    });
    this.allow = allow;
  }
}

/** The request target is not in canonical form (dot segments, encoded slashes, absolute-form). 400. */
export class BadPathError extends ProxyError {
  constructor(target: string) {
    super("LLMUX_ERR_BAD_PATH", `Request target ${JSON.stringify(target.slice(0, 200))} is not a canonical path.`, {
      status: 400,
      type: "BadRequestError",
    });
  }
}

/** `POST /llmux/reload` found an invalid config file; nothing changed. 400. */
export class ConfigReloadError extends ProxyError {
  /** Each problem with the JSON path of the offending value. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options: { cause?: unknown } = {}) {
    super("LLMUX_ERR_CONFIG_RELOAD", `The config file is invalid; nothing changed: ${problems.join("; ")}`, {
      status: 400,
      type: "BadRequestError",
      cause: options.cause,
    });
    this.problems = problems;
  }
}

/** The body is larger than `proxy.max_body_bytes`. 413. */
export class BodyTooLargeError extends ProxyError {
  constructor(limit: number) {
    super("LLMUX_ERR_BODY_TOO_LARGE", `Request body is larger than the limit of ${limit} bytes.`, {
      status: 413,
      type: "BadRequestError",
    });
  }
}

/** The client stopped sending its body for longer than the idle timeout. 408. */
export class BodyTimeoutError extends ProxyError {
  constructor(timeoutMs: number) {
    super("LLMUX_ERR_BODY_TIMEOUT", `No request body data received for ${timeoutMs} ms.`, {
      status: 408,
      type: "BadRequestError",
    });
  }
}

/** The Content-Type does not fit the route (JSON routes need application/json, audio routes multipart/form-data). 415. */
export class UnsupportedMediaTypeError extends ProxyError {
  constructor(expected: string, got: string | undefined) {
    super(
      "LLMUX_ERR_UNSUPPORTED_MEDIA_TYPE",
      `Unsupported Media Type: Only '${expected}' is allowed (got ${got === undefined ? "none" : JSON.stringify(got)}).`,
      { status: 415, type: "BadRequestError" },
    );
  }
}

/** The body is not valid JSON, not a JSON object, or a malformed multipart form. 400. */
export class InvalidBodyError extends ProxyError {
  constructor(message: string, cause?: unknown) {
    super("LLMUX_ERR_INVALID_BODY", message, { status: 400, type: "BadRequestError", cause });
  }
}

/** The body has no `model` (or it is not a non-empty string). 400. */
export class MissingModelError extends ProxyError {
  constructor() {
    super("LLMUX_ERR_MISSING_MODEL", "The request has no `model` field (a non-empty string).", {
      status: 400,
      type: "BadRequestError",
      param: "model",
    });
  }
}

/** The model is not configured. 404, worded as vLLM words it. */
export class ModelNotFoundError extends ProxyError {
  constructor(model: string) {
    super("LLMUX_ERR_MODEL_NOT_FOUND", `The model \`${model}\` does not exist.`, {
      status: 404,
      type: "NotFoundError",
      param: "model",
    });
  }
}

/** Missing or wrong API key (or admin key on admin routes). 401. */
export class UnauthorizedError extends ProxyError {
  constructor(message = "Missing or invalid API key (Authorization: Bearer <key>, or x-api-key: <key>).") {
    super("LLMUX_ERR_UNAUTHORIZED", message, { status: 401, type: "AuthenticationError" });
  }
}

/** The upstream vLLM server could not be reached after the lease was granted. 503 with Retry-After. */
export class UpstreamUnavailableError extends ProxyError {
  constructor(model: string, cause?: unknown, retryAfterSecs = 2) {
    super("LLMUX_ERR_UPSTREAM_UNAVAILABLE", `The server of model \`${model}\` could not be reached; retry shortly.`, {
      status: 503,
      type: "ServiceUnavailableError",
      cause,
      retryAfterSecs,
    });
  }
}

/** The upstream failed during the exchange (reset, died mid-response). 502. */
export class UpstreamFailedError extends ProxyError {
  constructor(model: string, cause?: unknown) {
    super("LLMUX_ERR_UPSTREAM_FAILED", `The server of model \`${model}\` failed while answering.`, {
      status: 502,
      type: "BadGatewayError",
      cause,
    });
  }
}

/** The upstream took longer than the upstream timeout to send headers or the next chunk. 504. */
export class UpstreamTimeoutError extends ProxyError {
  constructor(model: string, cause?: unknown) {
    super("LLMUX_ERR_UPSTREAM_TIMEOUT", `The server of model \`${model}\` did not answer in time.`, {
      status: 504,
      type: "GatewayTimeoutError",
      cause,
    });
  }
}

/** The buffered-body budget or the connection cap is used up: refused at once, before the body is read. 503. */
export class CapacityError extends ProxyError {
  constructor(what: "buffered request bodies" | "client connections", limit: number) {
    super("LLMUX_ERR_CAPACITY", `llmux is at its limit of ${what} (${limit}); retry shortly.`, {
      status: 503,
      type: "ServiceUnavailableError",
      retryAfterSecs: 1,
    });
  }
}

/** `listen()` after `close()`/`destroy()`, or twice. Not an HTTP error. */
export class ProxyStateError extends LlmuxError {
  constructor(message: string) {
    super("LLMUX_ERR_PROXY_STATE", message);
  }
}

/** An unexpected failure inside the proxy. 500. */
export class InternalProxyError extends ProxyError {
  constructor(cause?: unknown) {
    super("LLMUX_ERR_PROXY_INTERNAL", "Internal error in llmux.", {
      status: 500,
      type: "InternalServerError",
      cause,
    });
  }
}

/** Every code this package defines (the README lists the same set). */
export const PROXY_ERROR_CODES: readonly string[] = [
  "LLMUX_ERR_ROUTE_NOT_FOUND",
  "LLMUX_ERR_METHOD_NOT_ALLOWED",
  "LLMUX_ERR_BAD_PATH",
  "LLMUX_ERR_BODY_TOO_LARGE",
  "LLMUX_ERR_BODY_TIMEOUT",
  "LLMUX_ERR_UNSUPPORTED_MEDIA_TYPE",
  "LLMUX_ERR_INVALID_BODY",
  "LLMUX_ERR_CONFIG_RELOAD",
  "LLMUX_ERR_MISSING_MODEL",
  "LLMUX_ERR_MODEL_NOT_FOUND",
  "LLMUX_ERR_UNAUTHORIZED",
  "LLMUX_ERR_UPSTREAM_UNAVAILABLE",
  "LLMUX_ERR_UPSTREAM_FAILED",
  "LLMUX_ERR_UPSTREAM_TIMEOUT",
  "LLMUX_ERR_SHUTTING_DOWN",
  "LLMUX_ERR_CAPACITY",
  "LLMUX_ERR_PROXY_STATE",
  "LLMUX_ERR_PROXY_INTERNAL",
];
