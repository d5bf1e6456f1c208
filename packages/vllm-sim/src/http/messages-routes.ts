import type { IncomingMessage, ServerResponse } from "node:http";
import { generateAnswer } from "../text/answer.js";
import { countTokens } from "../text/tokens.js";
import type { SimContext } from "./context.js";
import { randomId, sendJson } from "./http-util.js";
import { type JsonObject, readJsonRequest } from "./json-request.js";

/** Anthropic's error body, which vLLM's `/v1/messages` answers with. */
function messagesError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { type: "error", error: { type, message } });
}

/** The text of an Anthropic content field: a string, or the `text` blocks of an array. */
function blockText(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  return content
    .map((block) => (block && typeof block === "object" && typeof (block as JsonObject).text === "string" ? (block as JsonObject).text : ""))
    .join(" ");
}

interface MessagesInput {
  model: string;
  input: string;
  inputTokens: number;
}

/** Validate the fields `/v1/messages` and its `count_tokens` share; undefined after an error was sent. */
async function readMessages(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<(MessagesInput & { body: JsonObject }) | undefined> {
  const body = await readJsonRequest(req, res);
  if (!body) return undefined;
  const model = body.model;
  if (typeof model !== "string" || !ctx.args.servedModelNames.includes(model)) {
    messagesError(res, 404, "not_found_error", `The model \`${String(model)}\` does not exist.`);
    return undefined;
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    messagesError(res, 400, "invalid_request_error", "messages: Field required");
    return undefined;
  }
  const parts: string[] = [];
  const system = body.system === undefined ? "" : blockText(body.system);
  if (system) parts.push(`system: ${system}`);
  for (const message of messages) {
    const role = message && typeof message === "object" ? (message as JsonObject).role : undefined;
    const text = message && typeof message === "object" ? blockText((message as JsonObject).content) : undefined;
    if ((role !== "user" && role !== "assistant") || text === undefined) {
      messagesError(res, 400, "invalid_request_error", "messages: each message needs a role (user or assistant) and a content");
      return undefined;
    }
    parts.push(`${role}: ${text}`);
  }
  const input = parts.join("\n");
  return { body, model, input, inputTokens: countTokens(input) + 2 * messages.length };
}

/**
 * `POST /v1/messages` in Anthropic's shape, answered at once and without
 * streaming: enough for clients of that API to be tested through llmux. The
 * text is the simulator's greedy answer for the same input, whatever the
 * temperature.
 */
export async function messagesRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = await readMessages(ctx, req, res);
  if (!request) return;
  const maxTokens = request.body.max_tokens;
  if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1) {
    messagesError(res, 400, "invalid_request_error", "max_tokens: Field required (a positive integer)");
    return;
  }
  if (request.body.stream === true) {
    messagesError(res, 400, "invalid_request_error", "stream: the simulator answers /v1/messages without streaming");
    return;
  }
  // Always the greedy answer, so that a test can compare answers across clients and switches.
  const answer = generateAnswer({ model: request.model, input: request.input, temperature: 0, seed: undefined, garbageWeights: ctx.engine.garbageWeights });
  const tokens = answer.tokens.slice(0, maxTokens);
  sendJson(res, 200, {
    id: randomId("msg"),
    type: "message",
    role: "assistant",
    model: request.model,
    content: [{ type: "text", text: tokens.join(" ") }],
    stop_reason: tokens.length < answer.tokens.length ? "max_tokens" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: request.inputTokens, output_tokens: tokens.length },
  });
}

/** `POST /v1/messages/count_tokens`: `{ input_tokens }` for the same request body. */
export async function countTokensRoute(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = await readMessages(ctx, req, res);
  if (!request) return;
  sendJson(res, 200, { input_tokens: request.inputTokens });
}
