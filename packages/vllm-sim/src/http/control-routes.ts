import type { IncomingMessage, ServerResponse } from "node:http";
import { SimUnknownFaultError } from "../errors.js";
import type { SimContext } from "./context.js";
import { badRequest, readBody, sendJson } from "./http-util.js";

/** `POST /_sim/fault {"fault", "count"?}` (only with `--sim-control 1`). */
export async function faultRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse((await readBody(req)).toString("utf8")) as Record<string, unknown>;
  } catch {
    badRequest(res, 'body must be JSON {"fault": NAME, "count"?: n}');
    return;
  }
  const count = body.count ?? 1;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1) {
    badRequest(res, "count must be an integer >= 1");
    return;
  }
  const fault = String(body.fault);
  if (fault === "crash") {
    sendJson(res, 200, { armed: fault, count: 1 });
    ctx.engine.die("fault", ["RuntimeError: CUDA error: an illegal memory access was encountered", "EngineCore encountered a fatal error."]);
    return;
  }
  try {
    ctx.engine.faults.arm(fault, count);
  } catch (error) {
    if (error instanceof SimUnknownFaultError) {
      sendJson(res, 400, { error: { message: error.message, type: "Bad Request", param: "fault", code: 400 }, sim_code: error.code });
      return;
    }
    throw error;
  }
  ctx.logger.info("sim", `armed fault ${fault} x${count}`);
  sendJson(res, 200, { armed: fault, count });
}

export function statsRoute(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, ctx.engine.stats());
}
