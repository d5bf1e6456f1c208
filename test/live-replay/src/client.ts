import type { TraceRequest } from "@llmux/core";
import { type Agent, request } from "undici";
import { SCALE } from "./trace.js";

export interface ReplayOutcome {
  model: string;
  status: number;
  /** Arrival → first answer event, or → the error's head (seconds, scaled back). */
  waitSecs: number;
  /** Arrival → response head of a 429, in real milliseconds (not scaled). */
  refusedInMs?: number;
  retryAfterSecs?: number;
  errorCode?: string;
  done: boolean;
  /** Real milliseconds from the replay's start: sent, first answer event, end of the answer. */
  sentMs: number;
  firstMs?: number;
  endMs: number;
  /** The `x-request-id` the replay gave it (the engine's event log carries it). */
  requestId: string;
  /** Tokens the trace asked for (`max_tokens`, `ignore_eos`). */
  tokens: number;
  /** Tokens the answer's usage says were generated (with `includeUsage` only). */
  servedTokens?: number;
}

export interface Replay {
  outcomes: ReplayOutcome[];
  /** Start of the replay → its last answer's end (seconds, scaled back). */
  makespanSecs: number;
}

export interface ReplayOptions {
  /**
   * Ask for the usage chunk (`stream_options.include_usage`), so each outcome
   * has its `servedTokens`. Off, the bench's default: llmux takes a stream's
   * tokens (its decode rate, output lengths) from usage when it is there,
   * else one per event, so asking changes what it measures and decides.
   */
  includeUsage?: boolean;
}

/**
 * Send every request of `trace` to llmux at `url` at its arrival time, SCALE
 * times faster, each a stream of exactly its tokens, and read every answer
 * to its end.
 */
export async function replayRequests(url: string, agent: Agent, trace: readonly TraceRequest[], options: ReplayOptions = {}): Promise<Replay> {
  const startedAt = performance.now();
  const outcomes = await Promise.all(trace.map((entry, index) => send(url, agent, entry, startedAt, `replay-${index}`, options.includeUsage === true)));
  return { outcomes, makespanSecs: ((performance.now() - startedAt) / 1000) * SCALE };
}

async function send(url: string, agent: Agent, entry: TraceRequest, startedAt: number, requestId: string, includeUsage: boolean): Promise<ReplayOutcome> {
  await until(startedAt + (entry.t * 1000) / SCALE);
  const sent = performance.now();
  const times = (first: number | undefined) => ({
    requestId,
    tokens: entry.tokens,
    sentMs: sent - startedAt,
    ...(first === undefined ? {} : { firstMs: first - startedAt }),
    endMs: performance.now() - startedAt,
  });
  const response = await request(`${url}/v1/chat/completions`, {
    method: "POST",
    dispatcher: agent,
    headers: { "content-type": "application/json", "x-request-id": requestId },
    headersTimeout: 0,
    bodyTimeout: 0,
    body: JSON.stringify({
      model: entry.model,
      messages: [{ role: "user", content: "x" }],
      max_tokens: entry.tokens,
      ignore_eos: true,
      stream: true,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    }),
  });
  const headAt = performance.now();
  if (response.statusCode !== 200) {
    const body = (await response.body.json().catch(() => ({}))) as { error?: { code?: string } };
    const retry = Number(response.headers["retry-after"]);
    return {
      model: entry.model,
      status: response.statusCode,
      waitSecs: ((headAt - sent) / 1000) * SCALE,
      ...(response.statusCode === 429 ? { refusedInMs: headAt - sent } : {}),
      ...(Number.isFinite(retry) ? { retryAfterSecs: retry } : {}),
      ...(body.error?.code ? { errorCode: body.error.code } : {}),
      done: false,
      ...times(undefined),
    };
  }
  // The wait is until the first event of the answer (llmux may send `: waiting` comments before it).
  let firstDataAt: number | undefined;
  let text = "";
  for await (const chunk of response.body) {
    text += String(chunk);
    if (firstDataAt === undefined && text.includes("data: ")) firstDataAt = performance.now();
  }
  const errorCode = /"code":\s*"?(LLMUX_ERR_[A-Z_]+)/.exec(text)?.[1];
  const usage = /"completion_tokens":(\d+)/.exec(text.slice(text.lastIndexOf('"usage"')));
  return {
    model: entry.model,
    status: errorCode ? 500 : 200,
    waitSecs: (((firstDataAt ?? performance.now()) - sent) / 1000) * SCALE,
    ...(errorCode ? { errorCode } : {}),
    ...(usage ? { servedTokens: Number(usage[1]) } : {}),
    done: text.includes("data: [DONE]") && !errorCode,
    ...times(firstDataAt),
  };
}

/**
 * Resolves once `performance.now()` has reached `at`. Node's timers run on
 * the event loop's whole-millisecond clock, so a timer alone often fires a
 * little early on this one (up to 1.8 ms measured; the CI run that failed
 * saw a request sent 1.4 ms before its arrival): it is set again for what
 * is left.
 */
async function until(at: number): Promise<void> {
  let left = at - performance.now();
  while (left > 0) {
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(left)));
    left = at - performance.now();
  }
}
