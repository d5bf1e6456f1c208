import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE, isSpace, skipSpace, skipString } from "./json-bytes.js";

const USAGE_KEY = Buffer.from('"usage"');
const UNICODE_ESCAPE = Buffer.from("\\u");

interface Usage {
  completion_tokens?: unknown;
  output_tokens?: unknown;
}

/** `usage.completion_tokens` (OpenAI routes) or `usage.output_tokens` (`/v1/messages`) of a JSON text. */
export function usageTokens(text: string): number | undefined {
  try {
    return tokensOf((JSON.parse(text) as { usage?: Usage | null }).usage);
  } catch {
    return undefined;
  }
}

/**
 * The same as `usageTokens` of a whole JSON answer, without parsing all of
 * it: vLLM writes `usage` near the end, so the last `"usage"` in the bytes is
 * checked to be a key of the top-level object (an unescaped key, followed
 * only by further members and the closing brace) and only its value is
 * parsed. Anything else (usage not last among nested keys, escapes that
 * could spell the key, odd spacing) falls back to the full parse. The body is
 * taken to be the JSON vLLM serialized: a malformed body is not diagnosed.
 */
export function jsonUsageTokens(body: Buffer): number | undefined {
  const usage = tailUsage(body);
  return usage === UNSURE ? usageTokens(body.toString("utf8")) : tokensOf(usage);
}

function tokensOf(usage: Usage | null | undefined): number | undefined {
  const tokens = usage?.completion_tokens ?? usage?.output_tokens;
  return typeof tokens === "number" && Number.isFinite(tokens) && tokens >= 0 ? tokens : undefined;
}

const UNSURE = Symbol("unsure");

function tailUsage(body: Buffer): Usage | null | undefined | typeof UNSURE {
  const first = skipSpace(body, 0);
  let last = body.length - 1;
  while (last >= 0 && isSpace(body[last] as number)) last--;
  if (body[first] !== OPEN_BRACE || body[last] !== CLOSE_BRACE || last <= first) return UNSURE;
  const at = body.lastIndexOf(USAGE_KEY);
  // `\u0075sage` would be the same key to JSON.parse.
  if (body.indexOf(UNICODE_ESCAPE, at === -1 ? 0 : at) !== -1) return UNSURE;
  if (at === -1) return undefined;
  // An odd run of backslashes before it: the quote is escaped, so this is inside a string.
  let slashes = 0;
  while (body[at - 1 - slashes] === BACKSLASH) slashes++;
  if (slashes % 2 === 1) return UNSURE;
  const colon = skipSpace(body, at + USAGE_KEY.length);
  if (body[colon] !== COLON) return UNSURE;
  const start = skipSpace(body, colon + 1);
  const end = skipValue(body, start);
  // What follows the value must close exactly the top-level object, at its last brace.
  if (end === -1 || closingBrace(body, end) !== last) return UNSURE;
  try {
    return JSON.parse(body.toString("utf8", start, end)) as Usage | null;
  } catch {
    return UNSURE;
  }
}

/** The index just past the JSON value that starts at `from`, or -1. */
function skipValue(body: Buffer, from: number): number {
  const byte = body[from];
  if (byte === QUOTE) return skipString(body, from);
  if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
    const close = closingBrace(body, from + 1);
    return close === -1 ? -1 : close + 1;
  }
  let index = from;
  while (index < body.length) {
    const next = body[index] as number;
    if (next === COMMA || next === CLOSE_BRACE || next === CLOSE_BRACKET || isSpace(next)) break;
    index++;
  }
  return index === from ? -1 : index;
}

/** The index of the `}` or `]` that closes the object or array `from` is inside, or -1. */
function closingBrace(body: Buffer, from: number): number {
  let depth = 0;
  let index = from;
  while (index < body.length) {
    const byte = body[index] as number;
    if (byte === QUOTE) {
      index = skipString(body, index);
      if (index === -1) return -1;
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (depth === 0) return index;
      depth--;
    }
    index++;
  }
  return -1;
}
