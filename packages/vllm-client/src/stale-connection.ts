/**
 * Errors of a kept-alive connection that the server closed as the request
 * went out (uvicorn closes idle connections after 5 s; the close and a new
 * request can cross on the wire). Seen before any response byte, they mean
 * the server never took the request, so sending it once more is safe.
 */
const STALE_CODES: ReadonlySet<string> = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

/** True when `error` (or one of its causes) is a connection the server closed under the request. */
export function isStaleConnectionError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && STALE_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
