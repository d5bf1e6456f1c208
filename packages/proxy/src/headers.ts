import type { IncomingHttpHeaders } from "node:http";

/** RFC 9110 §7.6.1 connection-specific headers, plus `proxy-connection` that old clients still send. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

type HeaderValue = string | string[] | undefined;

/** Header names listed in the message's own `Connection` header (also hop-by-hop). */
function connectionTokens(headers: Record<string, HeaderValue>): Set<string> {
  const value = headers.connection;
  const joined = Array.isArray(value) ? value.join(",") : (value ?? "");
  return new Set(
    joined
      .split(",")
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ""),
  );
}

function copyEndToEnd(headers: Record<string, HeaderValue>, drop: ReadonlySet<string>): Record<string, string | string[]> {
  const listed = connectionTokens(headers);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower) || drop.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}

// `host` and `content-length` are set for the upstream by the HTTP client from
// the target URL and the exact bytes forwarded; `expect` is answered by us.
const REQUEST_DROP: ReadonlySet<string> = new Set(["host", "content-length", "expect"]);
const REQUEST_DROP_WITH_AUTH: ReadonlySet<string> = new Set([...REQUEST_DROP, "authorization", "x-api-key"]);

/**
 * The client's headers as they go to vLLM: end-to-end headers only. When
 * llmux checks API keys itself, the client's `Authorization` and `x-api-key`
 * (an llmux key) are not passed on.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, options: { stripAuthorization: boolean }): Record<string, string | string[]> {
  return copyEndToEnd(headers, options.stripAuthorization ? REQUEST_DROP_WITH_AUTH : REQUEST_DROP);
}

const RESPONSE_DROP: ReadonlySet<string> = new Set<string>();

/** vLLM's response headers as they go to the client: end-to-end headers only. */
export function clientResponseHeaders(headers: Record<string, HeaderValue>): Record<string, string | string[]> {
  return copyEndToEnd(headers, RESPONSE_DROP);
}
