import { BadPathError, MethodNotAllowedError, RouteNotFoundError } from "./errors.js";

/** How the body of a forwarded route is read to find `model`. */
export type BodyKind = "json" | "multipart";

/**
 * The inference paths llmux forwards, from the vLLM contract
 * (`docs/vllm-api.md`). Exact matches only: vLLM's admin routes
 * (`/sleep`, `/wake_up`, `/collective_rpc`, …) and the simulator's `/_sim/*`
 * are not here, so they can never be reached through llmux.
 */
export const FORWARDED_ROUTES: ReadonlyMap<string, BodyKind> = new Map<string, BodyKind>([
  ["/v1/chat/completions", "json"],
  ["/v1/completions", "json"],
  ["/v1/embeddings", "json"],
  ["/v1/responses", "json"],
  ["/v1/messages", "json"],
  ["/v1/messages/count_tokens", "json"],
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

export type LocalRoute = "health" | "models" | "model" | "status" | "events" | "logs" | "page";
export type AdminAction = "sleep" | "wake" | "stop";

export type Route =
  | { kind: "forward"; path: string; query: string; body: BodyKind }
  /** `model`: the id of `/v1/models/{id}`, the model of `/llmux/logs/{model}`; `file`: a status page file. */
  | { kind: "local"; name: LocalRoute; query: string; model?: string; file?: string }
  | { kind: "admin"; model: string; action: AdminAction; query: string }
  /** `POST /llmux/reload`: read the config file again. */
  | { kind: "reload" };

const LOCAL_ROUTES: ReadonlyMap<string, LocalRoute> = new Map<string, LocalRoute>([
  ["/health", "health"],
  ["/v1/models", "models"],
  ["/models", "models"],
  ["/llmux/status", "status"],
  ["/llmux/events", "events"],
  ["/llmux/logs", "logs"],
]);

/** Local routes whose last segments name a model (which may itself hold `/`). */
const LOCAL_PREFIXES: readonly (readonly [string, LocalRoute])[] = [["/llmux/logs/", "logs"]];

const MODEL_LOOKUP_PREFIX = "/v1/models/";

/** The status page's files (`/llmux/` is its index). */
export const PAGE_FILES: ReadonlyMap<string, string> = new Map([
  ["/llmux/", "index.html"],
  ["/llmux/app.js", "app.js"],
  ["/llmux/style.css", "style.css"],
]);

const ADMIN_PREFIX = "/llmux/models/";
const RELOAD_PATH = "/llmux/reload";
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
  const model = modelLookup(target);
  if (model !== undefined) {
    if (method !== "GET" && method !== "HEAD") throw new MethodNotAllowedError(method, MODEL_LOOKUP_PREFIX, ["GET", "HEAD"]);
    return model;
  }
  const { path, query } = splitTarget(target);
  const body = FORWARDED_ROUTES.get(path);
  if (body !== undefined) {
    if (method !== "POST") throw new MethodNotAllowedError(method, path, ["POST"]);
    return { kind: "forward", path, query, body };
  }
  const local = localRoute(path, query);
  if (local !== undefined) {
    if (method !== "GET" && method !== "HEAD") throw new MethodNotAllowedError(method, path, ["GET", "HEAD"]);
    return local;
  }
  if (path === RELOAD_PATH) {
    if (method !== "POST") throw new MethodNotAllowedError(method, path, ["POST"]);
    return { kind: "reload" };
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

function localRoute(path: string, query: string): Extract<Route, { kind: "local" }> | undefined {
  const name = LOCAL_ROUTES.get(path);
  if (name !== undefined) return { kind: "local", name, query };
  // The page's files are named relative to it, so its address needs the slash.
  if (path === "/llmux") return { kind: "local", name: "page", query, file: "" };
  const file = PAGE_FILES.get(path);
  if (file !== undefined) return { kind: "local", name: "page", query, file };
  for (const [prefix, prefixed] of LOCAL_PREFIXES) {
    if (path.startsWith(prefix) && path.length > prefix.length) return { kind: "local", name: prefixed, query, model: path.slice(prefix.length) };
  }
  return undefined;
}

/**
 * `GET /v1/models/{id}`: clients encode the id as one path segment
 * (`qwen2.5%3A7b`, `org%2Fmodel`), so here, and only here, the rest of the
 * path is percent-decoded. This route answers from the config and never
 * forwards, so a decoded `/` or `..` cannot reach anything.
 */
function modelLookup(target: string): Extract<Route, { kind: "local" }> | undefined {
  if (!target.startsWith(MODEL_LOOKUP_PREFIX)) return undefined;
  const queryAt = target.indexOf("?");
  const encoded = target.slice(MODEL_LOOKUP_PREFIX.length, queryAt === -1 ? undefined : queryAt);
  if (encoded === "") return undefined;
  let model: string;
  try {
    model = decodeURIComponent(encoded);
  } catch {
    throw new BadPathError(target);
  }
  return { kind: "local", name: "model", query: queryAt === -1 ? "" : target.slice(queryAt), model };
}
