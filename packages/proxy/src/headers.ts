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

/** Header names listed in the message's own `Connection` header (also hop-by-hop); undefined when it lists none. */
function connectionTokens(value: HeaderValue): Set<string> | undefined {
  // The usual values name no other header: no split.
  if (value === undefined || value === "keep-alive" || value === "close") return undefined;
  const joined = Array.isArray(value) ? value.join(",") : value;
  let listed: Set<string> | undefined;
  for (const token of joined.split(",")) {
    const name = token.trim().toLowerCase();
    if (name === "" || HOP_BY_HOP.has(name)) continue;
    listed ??= new Set();
    listed.add(name);
  }
  return listed;
}

/**
 * One pass over the names (Node and undici hand them over lower-cased), into
 * `out`: no intermediate object and, in the usual message without a
 * `Connection` list, no Set either.
 */
function copyEndToEnd(
  headers: Record<string, HeaderValue>,
  drop: ReadonlySet<string>,
  out: Record<string, string | string[]>,
): Record<string, string | string[]> {
  const listed = connectionTokens(headers.connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || drop.has(name) || listed?.has(name)) continue;
    out[name] = value;
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
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  options: { stripAuthorization: boolean },
  out: Record<string, string | string[]> = {},
): Record<string, string | string[]> {
  return copyEndToEnd(headers, options.stripAuthorization ? REQUEST_DROP_WITH_AUTH : REQUEST_DROP, out);
}

const RESPONSE_DROP: ReadonlySet<string> = new Set<string>();

/** vLLM's response headers as they go to the client: end-to-end headers only. */
export function clientResponseHeaders(headers: Record<string, HeaderValue>): Record<string, string | string[]> {
  return copyEndToEnd(headers, RESPONSE_DROP, {});
}
