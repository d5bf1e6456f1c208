import { type Agent, request } from "undici";

export interface Outcome {
  model: string;
  stream: boolean;
  /** HTTP status; 0 when no response arrived (connection error or our own timeout). */
  status: number;
  /** `ok`, or why not: `http_<status>:<error code>`, `stream_error:<code>`, `timeout`, `network:<code>`, `wrong_model`, `bad_shape`. */
  result: string;
  /** The first token of the answer (`[model]` from the simulator), when there was one. */
  answeredBy?: string;
  /** The start of the error message, when the request failed with one. */
  detail?: string;
  durationMs: number;
}

export interface ChatOptions {
  stream?: boolean;
  maxTokens?: number;
  /** Our own bound on the whole request: past it the request counts as hung. */
  timeoutMs: number;
  dispatcher: Agent;
}

/**
 * One chat completion through llmux, classified. With temperature 0 the
 * simulator's answer starts with `[<served model name>]`, which tells which
 * engine answered.
 */
export async function chat(baseUrl: string, model: string, options: ChatOptions): Promise<Outcome> {
  const startedAt = performance.now();
  const stream = options.stream === true;
  const outcome = (status: number, result: string, answeredBy?: string, detail?: string): Outcome => ({
    model,
    stream,
    status,
    result,
    ...(answeredBy === undefined ? {} : { answeredBy }),
    ...(detail === undefined ? {} : { detail: detail.slice(0, 300) }),
    durationMs: performance.now() - startedAt,
  });
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      dispatcher: options.dispatcher,
      signal,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model,
        messages: [{ role: "user", content: "reliability" }],
        max_tokens: options.maxTokens ?? 4,
        temperature: 0,
        stream,
      }),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) {
      const code = errorCode(text);
      return outcome(response.statusCode, code === undefined ? `bad_shape:${response.statusCode}` : `http_${response.statusCode}:${code}`, undefined, text);
    }
    const content = stream ? streamContent(text) : jsonContent(text);
    if (content.error !== undefined) return outcome(200, `stream_error:${content.error}`, undefined, text.slice(-300));
    const answeredBy = /^\[([^\]]+)\]/.exec(content.text.trim())?.[1];
    if (answeredBy === undefined) return outcome(200, "bad_shape:no_model_tag", undefined, content.text);
    if (answeredBy !== model) return outcome(200, "wrong_model", answeredBy);
    return outcome(200, "ok", answeredBy);
  } catch (error) {
    if (signal.aborted) return outcome(0, "timeout");
    const code = (error as { code?: string }).code ?? (error as Error).name;
    return outcome(0, `network:${code}`);
  }
}

/** The `error.code` (or `error.type`) of an OpenAI-shaped error body, or undefined if it is not one. */
export function errorCode(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
    if (body.error === undefined || typeof body.error.message !== "string") return undefined;
    return String(body.error.code ?? body.error.type);
  } catch {
    return undefined;
  }
}

function jsonContent(text: string): { text: string; error?: string } {
  try {
    const body = JSON.parse(text) as { choices?: Array<{ message?: { content?: string } }> };
    return { text: body.choices?.[0]?.message?.content ?? "" };
  } catch {
    return { text: "", error: "unparsable_json" };
  }
}

/** Join an SSE stream's deltas; an `error` event or a missing `[DONE]` is reported as an error. */
export function streamContent(text: string): { text: string; error?: string } {
  let content = "";
  let done = false;
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const data = line.slice(6).trim();
    if (data === "[DONE]") {
      done = true;
      continue;
    }
    if (done) return { text: content, error: "data_after_done" };
    try {
      const chunk = JSON.parse(data) as { error?: { code?: unknown; type?: unknown }; choices?: Array<{ delta?: { content?: string } }> };
      if (chunk.error !== undefined) return { text: content, error: String(chunk.error.code ?? chunk.error.type) };
      content += chunk.choices?.[0]?.delta?.content ?? "";
    } catch {
      return { text: content, error: "unparsable_chunk" };
    }
  }
  return done ? { text: content } : { text: content, error: "no_done" };
}

/** GET a JSON document (status routes); undefined on any failure. */
export async function getJson(url: string, dispatcher?: Agent): Promise<unknown> {
  try {
    // `reset`: one connection per status read, so polling leaves no keep-alive socket behind.
    const response = await request(url, { dispatcher, reset: true, signal: AbortSignal.timeout(10_000) });
    const text = await response.body.text();
    return response.statusCode === 200 ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

export interface StatusModel {
  name: string;
  state: string;
  queue_depth: number;
  in_flight: number;
}

/** The per-model part of `GET /llmux/status`. */
export async function modelStates(baseUrl: string): Promise<StatusModel[]> {
  const body = (await getJson(`${baseUrl}/llmux/status`)) as { models?: StatusModel[] } | undefined;
  return body?.models ?? [];
}

/** POST to a simulator's control route (never through llmux). */
export async function injectFault(simUrl: string, fault: string): Promise<boolean> {
  try {
    const response = await request(`${simUrl}/_sim/fault`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fault }),
      signal: AbortSignal.timeout(5_000),
    });
    await response.body.text();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}
