import type { Dispatcher } from "undici";
import type { OpenAIErrorBody } from "./openai-error.js";

/** How much of a model's error body is read. */
export const MAX_ERROR_BODY = 64 * 1024;

/**
 * Read a model's error response (bounded) as an OpenAI error body: vLLM's own
 * `{"error":{…}}` is passed through as is; anything else (Starlette's
 * `{"detail":…}`, plain text) is wrapped with the upstream status as code.
 */
export async function upstreamErrorBody(response: Dispatcher.ResponseData): Promise<OpenAIErrorBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    if (size + chunk.length > MAX_ERROR_BODY) {
      chunks.push(chunk.subarray(0, MAX_ERROR_BODY - size));
      response.body.destroy();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return errorBodyOf(Buffer.concat(chunks).toString("utf8"), response.statusCode);
}

/** A model's error response body (as text) as an OpenAI error body. */
export function errorBodyOf(text: string, statusCode: number): OpenAIErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    const error = (parsed as { error?: unknown } | null)?.error;
    if (error !== null && typeof error === "object" && !Array.isArray(error)) return parsed as OpenAIErrorBody;
    const detail = (parsed as { detail?: unknown } | null)?.detail;
    if (detail !== undefined) return wrap(typeof detail === "string" ? detail : JSON.stringify(detail), statusCode);
  } catch {
    // Not JSON: wrap the text below.
  }
  return wrap(text.trim() || `upstream answered ${statusCode}`, statusCode);
}

function wrap(message: string, status: number): OpenAIErrorBody {
  return { error: { message, type: status >= 500 ? "InternalServerError" : "BadRequestError", param: null, code: status } };
}
