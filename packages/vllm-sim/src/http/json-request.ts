import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimContext } from "./context.js";
import { BodyTooLargeError, badRequest, readBody, sendError } from "./http-util.js";

export type JsonObject = Record<string, unknown>;

/**
 * Read a JSON object body the way vLLM's OpenAI routes do: Content-Type must
 * be application/json (any other, or none, is a 400), the body must parse and
 * be an object. Sends the error answer and returns undefined on failure.
 */
export async function readJsonRequest(req: IncomingMessage, res: ServerResponse): Promise<JsonObject | undefined> {
  const contentType = (req.headers["content-type"] ?? "").toLowerCase();
  const mediaType = contentType.split(";", 1)[0]?.trim();
  if (mediaType !== "application/json") {
    req.resume();
    badRequest(res, "Unsupported Media Type: Only 'application/json' is allowed");
    return undefined;
  }
  let raw: Buffer;
  try {
    raw = await readBody(req);
  } catch (error) {
    if (error instanceof BodyTooLargeError) sendError(res, 413, "Request body too large", "Request Entity Too Large");
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    badRequest(
      res,
      `[{'type': 'json_invalid', 'loc': ('body', 0), 'msg': 'JSON decode error', 'input': {}, 'ctx': {'error': '${(error as Error).message.replaceAll("'", "")}'}}]`,
    );
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    badRequest(res, "[{'type': 'model_attributes_type', 'loc': ('body',), 'msg': 'Input should be a valid dictionary or object to extract fields from'}]");
    return undefined;
  }
  return parsed as JsonObject;
}

/**
 * The served model name a request names: absent means the first served name
 * (as vLLM does); an unknown one is a 404 NotFoundError. Returns undefined
 * after answering the error.
 */
export function resolveModel(ctx: SimContext, res: ServerResponse, body: JsonObject): string | undefined {
  const model = body.model;
  if (model === undefined || model === null || model === "") return ctx.args.servedModelNames[0] as string;
  if (typeof model !== "string") {
    badRequest(res, "[{'type': 'string_type', 'loc': ('body', 'model'), 'msg': 'Input should be a valid string'}]");
    return undefined;
  }
  if (!ctx.args.servedModelNames.includes(model)) {
    sendError(res, 404, `The model \`${model}\` does not exist.`, "NotFoundError", "model");
    return undefined;
  }
  return model;
}

/** An optional number field; a wrong type is answered with 400 (returns null then). */
export function optionalNumber(res: ServerResponse, body: JsonObject, field: string, check: (n: number) => boolean = () => true): number | undefined | null {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || !check(value)) {
    badRequest(res, `[{'type': 'value_error', 'loc': ('body', '${field}'), 'msg': 'Invalid value for ${field}: ${JSON.stringify(value)}'}]`);
    return null;
  }
  return value;
}
