import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (value === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  return match?.[1];
}

/**
 * The key a client presents: `Authorization: Bearer <key>` (OpenAI clients) or
 * `x-api-key: <key>` (Anthropic-style clients). The Bearer token wins when both
 * are sent.
 */
export function clientKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = bearerToken(headers);
  if (bearer !== undefined) return bearer;
  const value = headers["x-api-key"];
  const key = (Array.isArray(value) ? value[0] : value)?.trim();
  return key === undefined || key === "" ? undefined : key;
}

/**
 * A set of accepted keys. Keys are compared as SHA-256 digests with
 * `timingSafeEqual`, so neither a key's content nor its length leaks through
 * response timing.
 */
export class KeySet {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  /** True when no key is configured (the check is off). */
  get empty(): boolean {
    return this.digests.length === 0;
  }

  accepts(token: string | undefined): boolean {
    if (token === undefined) return false;
    const candidate = digest(token);
    let match = false;
    for (const known of this.digests) match = timingSafeEqual(known, candidate) || match;
    return match;
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
