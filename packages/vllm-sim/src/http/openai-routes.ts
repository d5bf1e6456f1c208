import type { IncomingMessage, ServerResponse } from "node:http";
import { splitCompletionPrompt } from "../text/continuation.js";
import { countTokens } from "../text/tokens.js";
import type { SimContext } from "./context.js";
import { runGeneration } from "./generation.js";
import { badRequest } from "./http-util.js";
import { type JsonObject, optionalNumber, readJsonRequest, resolveModel } from "./json-request.js";

/** Text of a chat message's content: a string, or the text parts of an array. */
function contentText(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === "object" && typeof (part as JsonObject).text === "string" ? (part as JsonObject).text : ""))
      .join(" ");
  }
  return undefined;
}

/** The fields chat and completions share; undefined after a 400 was sent. */
function commonFields(res: ServerResponse, body: JsonObject, maxTokensField: "max_tokens" | "max_completion_tokens" | "both") {
  const temperature = optionalNumber(res, body, "temperature", (n) => n >= 0);
  if (temperature === null) return undefined;
  const seed = optionalNumber(res, body, "seed", Number.isInteger);
  if (seed === null) return undefined;
  let maxTokens: number | undefined | null;
  if (maxTokensField === "both") {
    maxTokens = optionalNumber(res, body, "max_completion_tokens", (n) => Number.isInteger(n) && n >= 1);
    if (maxTokens === null) return undefined;
    if (maxTokens === undefined) maxTokens = optionalNumber(res, body, "max_tokens", (n) => Number.isInteger(n) && n >= 1);
  } else maxTokens = optionalNumber(res, body, maxTokensField, (n) => Number.isInteger(n) && n >= 1);
  if (maxTokens === null) return undefined;
  const stream = body.stream === true;
  const options = body.stream_options;
  if (options !== undefined && options !== null && (typeof options !== "object" || Array.isArray(options))) {
    badRequest(res, "[{'type': 'model_type', 'loc': ('body', 'stream_options'), 'msg': 'Input should be an object'}]");
    return undefined;
  }
  if (options && !stream) {
    badRequest(res, "Stream options can only be defined when `stream=True`.");
    return undefined;
  }
  const streamOptions = (options ?? undefined) as JsonObject | undefined;
  // With stream_options present, include_usage defaults to true (vLLM behaviour).
  const includeUsage = streamOptions !== undefined && streamOptions.include_usage !== false;
  const continuousUsage = includeUsage && streamOptions?.continuous_usage_stats === true;
  // vLLM's default when the request sets no limit; the simulator uses 16 like OpenAI's completions.
  return { temperature, seed, maxTokens: maxTokens ?? 16, stream, includeUsage, continuousUsage, ignoreEos: body.ignore_eos === true };
}

/** vLLM refuses a request whose prompt plus max_tokens exceeds max_model_len. */
function fitsContext(ctx: SimContext, res: ServerResponse, promptTokens: number, maxTokens: number, what: string): boolean {
  const limit = ctx.args.maxModelLen;
  if (promptTokens + maxTokens <= limit) return true;
  badRequest(
    res,
    `This model's maximum context length is ${limit} tokens. However, you requested ${promptTokens + maxTokens} tokens ` +
      `(${promptTokens} in the ${what}, ${maxTokens} in the completion). Please reduce the length of the ${what} or completion.`,
  );
  return false;
}

export async function chatCompletions(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonRequest(req, res);
  if (!body) return;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    badRequest(res, "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'}]");
    return;
  }
  const parts: string[] = [];
  for (const message of messages) {
    const role = message && typeof message === "object" ? (message as JsonObject).role : undefined;
    const text = message && typeof message === "object" ? contentText((message as JsonObject).content) : undefined;
    if (typeof role !== "string" || text === undefined) {
      badRequest(res, "[{'type': 'value_error', 'loc': ('body', 'messages'), 'msg': 'Each message needs a role and a content'}]");
      return;
    }
    parts.push(`${role}: ${text}`);
  }
  const continued = continuedMessage(res, body, messages);
  if (continued === null) return;
  const common = commonFields(res, body, "both");
  if (!common) return;
  const model = resolveModel(ctx, res, body);
  if (!model) return;
  const input = parts.join("\n");
  const promptTokens = countTokens(input) + 2 * messages.length;
  if (!fitsContext(ctx, res, promptTokens, common.maxTokens, "messages")) return;
  const context = continued === undefined ? input : parts.slice(0, -1).join("\n");
  await runGeneration(ctx, res, { kind: "chat", model, input: context, promptTokens, ...common, ...(continued === undefined ? {} : { continued }) });
}

/**
 * vLLM's `continue_final_message`: the last message must be the assistant's,
 * and `add_generation_prompt` (default true) must be turned off. Returns that
 * message's text, undefined when the request does not continue, null after a 400.
 */
function continuedMessage(res: ServerResponse, body: JsonObject, messages: unknown[]): string | undefined | null {
  if (body.continue_final_message !== true) return undefined;
  if (body.add_generation_prompt !== false) {
    badRequest(res, "Cannot set both `continue_final_message` and `add_generation_prompt` to True.");
    return null;
  }
  const last = messages[messages.length - 1] as JsonObject;
  if (last.role !== "assistant") {
    badRequest(res, "continue_final_message requires the final message to be from the assistant.");
    return null;
  }
  return contentText(last.content) ?? "";
}

export async function completions(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonRequest(req, res);
  if (!body) return;
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
  if (Array.isArray(prompt) && prompt.every((item) => typeof item === "number")) prompt = prompt.join(" ");
  if (typeof prompt !== "string") {
    badRequest(res, "[{'type': 'missing', 'loc': ('body', 'prompt'), 'msg': 'Field required (one string prompt)'}]");
    return;
  }
  const common = commonFields(res, body, "max_tokens");
  if (!common) return;
  const model = resolveModel(ctx, res, body);
  if (!model) return;
  const promptTokens = countTokens(prompt);
  if (!fitsContext(ctx, res, promptTokens, common.maxTokens, "prompt")) return;
  // "Prompt + text so far": a prompt that ends in the model's own answer continues it.
  const split = splitCompletionPrompt(prompt, model);
  const spec = split ? { input: split.original, continued: split.partial } : { input: prompt };
  await runGeneration(ctx, res, { kind: "completion", model, promptTokens, ...common, ...spec });
}
