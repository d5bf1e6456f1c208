import type { IncomingMessage, ServerResponse } from "node:http";
import { fnv1a, seededRandom } from "../text/hash.js";
import { countTokens, detokenize, tokenize } from "../text/tokens.js";
import type { SimContext } from "./context.js";
import { badRequest, randomId, requestIdOf, sendError, sendJson, sleepMs } from "./http-util.js";
import { readJsonRequest, resolveModel } from "./json-request.js";

export const embeddingDimensions = 32;

/** A unit vector that is a pure function of (model, text). */
export function embed(model: string, text: string, garbage: boolean): number[] {
  const random = seededRandom(garbage ? Math.floor(Math.random() * 2 ** 32) : fnv1a(`${model}\u0000${text}`));
  const vector = Array.from({ length: embeddingDimensions }, () => random() * 2 - 1);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

export async function embeddings(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonRequest(req, res);
  if (!body) return;
  const raw = body.input;
  const inputs = typeof raw === "string" ? [raw] : Array.isArray(raw) && raw.every((item) => typeof item === "string") ? (raw as string[]) : undefined;
  if (!inputs || inputs.length === 0) {
    badRequest(res, "[{'type': 'missing', 'loc': ('body', 'input'), 'msg': 'Field required (a string or a list of strings)'}]");
    return;
  }
  const model = resolveModel(ctx, res, body);
  if (!model) return;
  const id = randomId("embd");
  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  let why: string | undefined;
  const stop = new AbortController();
  const admitted = await ctx.engine.admit(
    {
      id,
      requestId: requestIdOf(res),
      abort: (reason) => {
        why = reason;
        stop.abort();
      },
    },
    gone.signal,
  );
  if (!admitted) {
    if (ctx.engine.dead) sendError(res, 500, "EngineCore encountered an issue. See stack trace (above) for the root cause.", "InternalServerError");
    return;
  }
  if (ctx.engine.faults.take("error_500")) {
    ctx.engine.finish(id, "failed");
    sendError(res, 500, "Simulated internal server error (fault error_500)", "InternalServerError");
    return;
  }
  await sleepMs(ctx.knobs.ttftMs, AbortSignal.any([gone.signal, stop.signal]));
  if (gone.signal.aborted || stop.signal.aborted) {
    ctx.engine.finish(id, why === "engine_dead" ? "failed" : "cancelled");
    sendError(res, 500, "Request aborted", "InternalServerError");
    return;
  }
  const promptTokens = inputs.reduce((sum, text) => sum + countTokens(text), 0);
  ctx.engine.promptTokens += promptTokens;
  ctx.engine.finish(id, "completed");
  sendJson(res, 200, {
    id,
    object: "list",
    created: Math.floor(Date.now() / 1000),
    model,
    data: inputs.map((text, index) => ({ index, object: "embedding", embedding: embed(model, text, ctx.engine.garbageWeights) })),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, completion_tokens: 0, prompt_tokens_details: null },
  });
}

/** `/tokenize`: answers while asleep (it runs in the API server, not the engine). */
export async function tokenizeRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonRequest(req, res);
  if (!body) return;
  let text: string | undefined;
  if (typeof body.prompt === "string") text = body.prompt;
  else if (Array.isArray(body.messages)) {
    text = body.messages
      .map((message) => {
        const m = message as Record<string, unknown>;
        return `${String(m.role)}: ${typeof m.content === "string" ? m.content : ""}`;
      })
      .join("\n");
  }
  if (text === undefined) {
    badRequest(res, "[{'type': 'missing', 'loc': ('body', 'prompt'), 'msg': 'Field required'}]");
    return;
  }
  if (!resolveModel(ctx, res, body)) return;
  const tokens = tokenize(text);
  sendJson(res, 200, { count: tokens.length, max_model_len: ctx.args.maxModelLen, tokens, token_strs: null });
}

export async function detokenizeRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonRequest(req, res);
  if (!body) return;
  const tokens = body.tokens;
  if (!Array.isArray(tokens) || !tokens.every((token) => Number.isInteger(token))) {
    badRequest(res, "[{'type': 'missing', 'loc': ('body', 'tokens'), 'msg': 'Field required (a list of integers)'}]");
    return;
  }
  if (!resolveModel(ctx, res, body)) return;
  sendJson(res, 200, { prompt: detokenize(tokens as number[]) });
}
