import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * Ids a client may choose: short and printable, so one can go into a log line
 * and a response header as it is (no CR/LF, no quotes, no spaces).
 */
const ACCEPTED = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/**
 * The request's id: the client's `x-request-id` when it is one llmux accepts,
 * otherwise a fresh UUID. It is forwarded to vLLM, returned to the client and
 * written on every log line and event about the request.
 */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers["x-request-id"];
  return typeof given === "string" && ACCEPTED.test(given) ? given : randomUUID();
}
