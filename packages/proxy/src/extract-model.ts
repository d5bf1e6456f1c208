import type { BodyKind } from "./routes.js";
import { InvalidBodyError, MissingModelError, UnsupportedMediaTypeError } from "./errors.js";
import { topLevelMembers } from "./json-members.js";
import { replaceModelField } from "./json-model-field.js";
import { findFormFields, replaceFormField } from "./multipart-fields.js";

/** What the proxy needs to know about a request body before it asks for a lease. */
export interface RequestFacts {
  model: string;
  /** The client asked for a streamed (SSE) answer. */
  stream: boolean;
  /** The client's cap on generated tokens (`max_completion_tokens`, else `max_tokens`), when it set one: core's admission plans with it. */
  maxTokens?: number;
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Check the Content-Type against the route and read `model` (and `stream`)
 * from the body without changing it: JSON is parsed once (a large body is
 * checked in place instead, and only the members read are parsed), a
 * multipart form is scanned in place (the audio file is never copied).
 */
export function extractModel(kind: BodyKind, contentType: string | undefined, body: Buffer): RequestFacts {
  if (kind === "json") {
    if (mediaType(contentType) !== "application/json") throw new UnsupportedMediaTypeError("application/json", contentType);
    return fromJson(body);
  }
  if (mediaType(contentType) !== "multipart/form-data") {
    throw new UnsupportedMediaTypeError("multipart/form-data", contentType);
  }
  const boundary = boundaryOf(contentType ?? "");
  if (boundary === undefined) throw new InvalidBodyError("multipart/form-data without a boundary parameter");
  const fields = findFormFields(body, boundary, ["model", "stream"]);
  const model = fields.get("model");
  if (model === undefined || model === "") throw new MissingModelError();
  return { model, stream: fields.get("stream")?.trim().toLowerCase() === "true" };
}

/** The top-level members a request's facts come from. */
const FACT_KEYS: ReadonlySet<string> = new Set(["model", "stream", "max_tokens", "max_completion_tokens"]);

/** From this size a body is checked on its bytes rather than decoded and parsed whole (see topLevelMembers). */
const SCAN_FROM_BYTES = 1024 * 1024;

function fromJson(body: Buffer): RequestFacts {
  const members = body.length >= SCAN_FROM_BYTES ? topLevelMembers(body, FACT_KEYS) : undefined;
  if (members === undefined) return factsOf(parseObject(body));
  const values: Record<string, unknown> = {};
  for (const [name, { start, end }] of members) values[name] = JSON.parse(body.toString("utf8", start, end));
  return factsOf(values);
}

function parseObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new InvalidBodyError(`The request body is not valid JSON: ${(error as Error).message}`, error);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new InvalidBodyError("The request body must be a JSON object.");
  }
  return parsed as Record<string, unknown>;
}

function factsOf(members: Record<string, unknown>): RequestFacts {
  const { model, stream, max_tokens: maxTokens, max_completion_tokens: maxCompletionTokens } = members;
  if (typeof model !== "string" || model === "") throw new MissingModelError();
  const facts: RequestFacts = { model, stream: stream === true };
  // vLLM reads max_completion_tokens first (chat); a value it would refuse is left for vLLM to answer.
  const cap = [maxCompletionTokens, maxTokens].find((value) => typeof value === "number" && Number.isInteger(value) && value > 0);
  if (typeof cap === "number") facts.maxTokens = cap;
  return facts;
}

/** The `boundary` parameter of a multipart Content-Type (quoted or not). */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * The body with its `model` set to `model` and every other byte kept, for a
 * request that named an alias (or was routed by `model-override`): vLLM
 * serves each model under its configured name only. Called after
 * `extractModel` accepted the body.
 */
export function withModel(kind: BodyKind, contentType: string | undefined, body: Buffer, model: string): Buffer {
  if (kind === "json") return replaceModelField(body, model);
  const boundary = boundaryOf(contentType ?? "");
  return boundary === undefined ? body : replaceFormField(body, boundary, "model", model);
}
