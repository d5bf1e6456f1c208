import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { RouteNotFoundError, UnauthorizedError } from "./errors.js";
import type { Route } from "./routes.js";

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

const ADMIN_KEY_NEEDED = "Missing or invalid admin key (Authorization: Bearer <admin key>, or x-api-key: <admin key>).";

/**
 * Throw unless `key` may use `route`: admin routes need an admin key (and do
 * not exist without one); logs need the admin key when one is configured;
 * everything else but the health check and the status page's static files
 * needs an API or admin key when API keys are configured.
 */
export function checkAccess(route: Route, key: string | undefined, keys: { apiKeys: KeySet; adminKeys: KeySet }, path: string): void {
  const { apiKeys, adminKeys } = keys;
  if (route.kind === "admin") {
    if (adminKeys.empty) throw new RouteNotFoundError(path);
    if (!adminKeys.accepts(key)) throw new UnauthorizedError(ADMIN_KEY_NEEDED);
    return;
  }
  // A reload is an admin action, but it only re-reads the file the operator chose, so without admin keys it stays available.
  if (route.kind === "reload" && !adminKeys.empty) {
    if (!adminKeys.accepts(key)) throw new UnauthorizedError(ADMIN_KEY_NEEDED);
    return;
  }
  // Logs show what was asked of which model and why things failed.
  if (route.kind === "local" && route.name === "logs" && !adminKeys.empty) {
    if (!adminKeys.accepts(key)) throw new UnauthorizedError(ADMIN_KEY_NEEDED);
    return;
  }
  if (route.kind === "local" && (route.name === "health" || route.name === "page")) return;
  if (!apiKeys.empty && !apiKeys.accepts(key) && !adminKeys.accepts(key)) throw new UnauthorizedError();
}
