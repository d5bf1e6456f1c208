import { BadPathError, MethodNotAllowedError, RouteNotFoundError } from "./errors.js";

/** How the body of a forwarded route is read to find `model`. */
export type BodyKind = "json" | "multipart";

/**
 * The inference paths llmux forwards, from the vLLM contract
 * (`shared/docs/vllm-api.md`). Exact matches only: vLLM's admin routes
 * (`/sleep`, `/wake_up`, `/collective_rpc`, …) and the simulator's `/_sim/*`
 * are not here, so they can never be reached through llmux.
 */
export const FORWARDED_ROUTES: ReadonlyMap<string, BodyKind> = new Map<string, BodyKind>([
  ["/v1/chat/completions", "json"],
  ["/v1/completions", "json"],
  ["/v1/embeddings", "json"],
  ["/v1/responses", "json"],
  ["/v1/messages", "json"],
  ["/tokenize", "json"],
  ["/detokenize", "json"],
  ["/pooling", "json"],
  ["/classify", "json"],
  ["/score", "json"],
  ["/v1/score", "json"],
  ["/rerank", "json"],
  ["/v1/rerank", "json"],
  ["/v2/rerank", "json"],
  ["/v1/audio/transcriptions", "multipart"],
  ["/v1/audio/translations", "multipart"],
]);

export type LocalRoute = "health" | "models" | "status";
export type AdminAction = "sleep" | "wake" | "stop";

export type Route =
  | { kind: "forward"; path: string; query: string; body: BodyKind }
  | { kind: "local"; name: LocalRoute }
  | { kind: "admin"; model: string; action: AdminAction; query: string };

const LOCAL_ROUTES: ReadonlyMap<string, LocalRoute> = new Map<string, LocalRoute>([
  ["/health", "health"],
  ["/v1/models", "models"],
  ["/llmux/status", "status"],
]);

const ADMIN_PREFIX = "/llmux/models/";
const ADMIN_ACTIONS: ReadonlySet<string> = new Set(["sleep", "wake", "stop"]);

// Model names may hold `/` (`org/model`) and a few URL-safe marks; nothing that
// needs percent-decoding, so the path compared is the path received.
const CANONICAL_PATH = /^\/[A-Za-z0-9._~:@/-]*$/;

/**
 * Split a raw request target into path and query and reject anything that is
 * not a canonical origin-form path: absolute-form or authority-form targets,
 * percent-encoding in the path (encoded slashes, dots), backslashes, empty
 * segments and dot segments. Such targets are never matched leniently.
 */
export function splitTarget(target: string): { path: string; query: string } {
  if (!target.startsWith("/")) throw new BadPathError(target);
  const queryAt = target.indexOf("?");
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? "" : target.slice(queryAt);
  if (!CANONICAL_PATH.test(path) || path.includes("//")) throw new BadPathError(target);
  for (const segment of path.split("/")) {
    if (segment === "." || segment === "..") throw new BadPathError(target);
  }
  if (query.includes("#")) throw new BadPathError(target);
  return { path, query };
}

/** Resolve method + raw target to a route, or throw a 400/404/405 ProxyError. */
export function matchRoute(method: string, target: string): Route {
  const { path, query } = splitTarget(target);
  const body = FORWARDED_ROUTES.get(path);
  if (body !== undefined) {
    if (method !== "POST") throw new MethodNotAllowedError(method, path, ["POST"]);
    return { kind: "forward", path, query, body };
  }
  const local = LOCAL_ROUTES.get(path);
  if (local !== undefined) {
    if (method !== "GET" && method !== "HEAD") throw new MethodNotAllowedError(method, path, ["GET", "HEAD"]);
    return { kind: "local", name: local };
  }
  if (path.startsWith(ADMIN_PREFIX)) {
    const rest = path.slice(ADMIN_PREFIX.length);
    const slash = rest.lastIndexOf("/");
    const model = slash > 0 ? rest.slice(0, slash) : "";
    const action = rest.slice(slash + 1);
    if (model !== "" && ADMIN_ACTIONS.has(action)) {
      if (method !== "POST") throw new MethodNotAllowedError(method, path, ["POST"]);
      return { kind: "admin", model, action: action as AdminAction, query };
    }
  }
  throw new RouteNotFoundError(path);
}
