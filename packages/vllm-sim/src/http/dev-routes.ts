import type { IncomingMessage, ServerResponse } from "node:http";
import type { EngineReply } from "../engine/sim-engine.js";
import type { SimContext } from "./context.js";
import { badRequest, readBody, sendEmpty, sendError, sendJson, sendPlain } from "./http-util.js";

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? "/", "http://sim").searchParams;
}

/** Translate an engine reply; a crashed engine's answer was already decided by the crash. */
function reply(res: ServerResponse, result: EngineReply, ok: () => void): void {
  if (result.kind === "ok") return ok();
  if (result.kind === "crashed")
    return sendError(res, 500, "EngineCore encountered an issue. See stack trace (above) for the root cause.", "InternalServerError");
  if (result.type === "plain") return sendPlain(res, result.status, result.message);
  sendError(res, result.status, result.message, result.type ?? "InternalServerError");
}

/** `POST /sleep?level=N`: the level comes from the query only; a non-integer is a plain 500. */
export async function sleepRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const raw = query(req).get("level") ?? "1";
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
    // Python's int() raising ValueError inside the route: Starlette's bare 500.
    sendPlain(res, 500, "Internal Server Error");
    return;
  }
  ctx.logger.info("api_server.py:1000", `sleep the engine with level ${Number(raw)}`);
  reply(res, await ctx.engine.sleep(Number(raw)), () => sendEmpty(res));
}

export async function wakeUpRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const tags = query(req).getAll("tags");
  ctx.logger.info("api_server.py:1010", `wake up the engine with tags: ${tags.length === 0 ? "None" : JSON.stringify(tags)}`);
  reply(res, await ctx.engine.wakeUp(tags), () => sendEmpty(res));
}

export function isSleepingRoute(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, { is_sleeping: ctx.engine.isSleeping });
}

export async function collectiveRpcRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req)).toString("utf8"));
  } catch (error) {
    badRequest(res, `JSON decode error: ${(error as Error).message}`);
    return;
  }
  const method = body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>).method : undefined;
  if (method === undefined || method === null) {
    badRequest(res, "Missing 'method' in request body");
    return;
  }
  const results = Array.from({ length: ctx.args.tensorParallelSize }, () => null);
  if (method !== "reload_weights") {
    // The simulated workers know no other method.
    sendError(res, 500, `AttributeError: 'Worker' object has no attribute '${String(method)}'`, "InternalServerError");
    return;
  }
  reply(res, await ctx.engine.reloadWeights(), () => sendJson(res, 200, { results }));
}

export function resetPrefixCacheRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  ctx.logger.info("api_server.py:1020", "Resetting prefix cache...");
  sendEmpty(res);
}

export async function pauseRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const wait = (query(req).get("wait_for_inflight_requests") ?? "false").toLowerCase();
  await ctx.engine.pause(wait === "true" || wait === "1");
  sendJson(res, 200, { status: "paused" });
}

export function resumeRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  ctx.engine.resume();
  sendJson(res, 200, { status: "resumed" });
}

export function isPausedRoute(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, { is_paused: ctx.engine.isPaused });
}
