/** A chat or completions request llmux can pause and resume as a continuation. */
export interface ResumablePlan {
  kind: "chat" | "completion";
  /** The client's body, parsed; continuations are built from it. */
  body: Record<string, unknown>;
  /** The client asked for a stream. */
  stream: boolean;
  /** The client asked for usage at the end of its stream (`stream_options`, as vLLM reads it). */
  includeUsage: boolean;
  /** The client asked for usage on every chunk. */
  continuousUsage: boolean;
  /** The client's token limit and the field that carries it; continuations lower it by what was produced. */
  maxTokens: number | undefined;
  maxField: "max_tokens" | "max_completion_tokens" | undefined;
}

const PATHS: ReadonlyMap<string, ResumablePlan["kind"]> = new Map([
  ["/v1/chat/completions", "chat"],
  ["/v1/completions", "completion"],
]);

/** Fields whose state a continuation cannot carry over: their requests are never paused. */
const STATEFUL_FIELDS = [
  "logprobs",
  "top_logprobs",
  "prompt_logprobs",
  "echo",
  "suffix",
  "use_beam_search",
  "guided_json",
  "guided_regex",
  "guided_choice",
  "guided_grammar",
  "guided_decoding_backend",
  "structured_outputs",
  "continue_final_message",
] as const;

/**
 * Can this request be paused and resumed? Only chat and completions with one
 * choice, no log-probabilities, no guided decoding or structured output, no
 * tools (a tool call may be in progress), and a single prompt; anything else
 * drains as before. Undefined when it cannot.
 */
export function resumablePlan(path: string, raw: Buffer): ResumablePlan | undefined {
  const kind = PATHS.get(path);
  if (kind === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  if (!oneChoice(fields.n) || !oneChoice(fields.best_of)) return undefined;
  for (const field of STATEFUL_FIELDS) if (fields[field] !== undefined && fields[field] !== null && fields[field] !== false) return undefined;
  const format = fields.response_format as { type?: unknown } | undefined | null;
  if (format !== undefined && format !== null && format.type !== "text") return undefined;
  if (Array.isArray(fields.tools) && fields.tools.length > 0 && fields.tool_choice !== "none") return undefined;
  if (kind === "chat" && !Array.isArray(fields.messages)) return undefined;
  if (kind === "completion" && !singlePrompt(fields.prompt)) return undefined;
  const stream = fields.stream === true;
  const options = fields.stream_options as Record<string, unknown> | undefined | null;
  const includeUsage = stream && options !== undefined && options !== null && options.include_usage !== false;
  const maxField =
    kind === "chat" && fields.max_completion_tokens !== undefined ? "max_completion_tokens" : fields.max_tokens !== undefined ? "max_tokens" : undefined;
  const limit = maxField === undefined ? undefined : fields[maxField];
  if (limit !== undefined && !(typeof limit === "number" && Number.isInteger(limit) && limit > 0)) return undefined;
  return {
    kind,
    body: fields,
    stream,
    includeUsage,
    continuousUsage: includeUsage && options?.continuous_usage_stats === true,
    maxTokens: limit as number | undefined,
    maxField,
  };
}

function oneChoice(value: unknown): boolean {
  return value === undefined || value === null || value === 1;
}

function singlePrompt(prompt: unknown): boolean {
  return typeof prompt === "string" || (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === "string");
}
