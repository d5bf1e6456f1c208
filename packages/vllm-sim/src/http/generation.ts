import type { ServerResponse } from "node:http";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { type RunningRequest, SimEngine } from "../engine/sim-engine.js";
import { TokenPacer } from "../engine/token-pacer.js";
import { generateAnswer } from "../text/answer.js";
import { continuationOffset } from "../text/continuation.js";
import { splitWords } from "../text/tokens.js";
import type { SimContext } from "./context.js";
import { errorBody, randomId, requestIdOf, sendError, sendJson, sleepMs, writeChunk } from "./http-util.js";

/** One chat or completion request, validated. */
export interface GenerationSpec {
  kind: "chat" | "completion";
  model: string;
  /** Canonical text of the input: the answer is a pure function of it and the model. */
  input: string;
  promptTokens: number;
  maxTokens: number;
  temperature: number | undefined;
  seed: number | undefined;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  /** vLLM's `ignore_eos` sampling parameter: generate exactly max_tokens. */
  ignoreEos: boolean;
  /**
   * A continuation: the text the model already produced (chat: the final
   * assistant message with `continue_final_message`; completions: the end of
   * the prompt). `input` is then the context before it.
   */
  continued?: string;
}

type AbortWhy = "paused" | "engine_dead" | undefined;

const engineDeadMessage = "EngineCore encountered an issue. See stack trace (above) for the root cause.";

/**
 * Run one generation through the engine: admission (pause, crash while
 * asleep), faults, time to first token, paced tokens, streaming with
 * backpressure, and prompt notice of a client that went away.
 */
export async function runGeneration(ctx: SimContext, res: ServerResponse, spec: GenerationSpec): Promise<void> {
  const id = randomId(spec.kind === "chat" ? "chatcmpl" : "cmpl");
  const created = Math.floor(Date.now() / 1000);
  const clientGone = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) clientGone.abort();
  };
  res.on("close", onClose);
  const engineStop = new AbortController();
  let why: AbortWhy;
  const running: RunningRequest = {
    id,
    requestId: requestIdOf(res),
    abort: (reason) => {
      why = reason;
      engineStop.abort();
    },
  };
  const admitted = await ctx.engine.admit(running, clientGone.signal);
  if (!admitted) {
    if (ctx.engine.dead) sendError(res, 500, engineDeadMessage, "InternalServerError");
    return;
  }
  const stop = AbortSignal.any([clientGone.signal, engineStop.signal]);
  const engine = ctx.engine;

  if (engine.faults.take("error_500")) {
    engine.finish(id, "failed");
    sendError(res, 500, "Simulated internal server error (fault error_500)", "InternalServerError");
    return;
  }
  if (engine.faults.take("hang_request")) {
    await new Promise<void>((resolve) => stop.addEventListener("abort", () => resolve(), { once: true }));
    finishStopped(ctx, res, id, why, spec.stream);
    return;
  }
  const crashAfter = spec.stream && engine.faults.take("crash_mid_stream") ? 3 : -1;

  const { tokens, offset } = answerFor(spec, engine.garbageWeights);
  const count = Math.min(spec.maxTokens, tokens.length - offset);
  const finishReason = spec.ignoreEos || count < tokens.length - offset ? "length" : "stop";
  const pieces = tokens.slice(offset, offset + count).map((token, index) => (offset + index === 0 ? token : ` ${token}`));
  // vLLM: the first request after a wake is several times slower unless a warm-up request ran first.
  const slowdown = running.cold ? SimEngine.coldFactor : 1;
  const pacer = new TokenPacer(ctx.knobs.tokensPerSec, slowdown);
  const usage = (completion: number): Record<string, unknown> => ({
    prompt_tokens: spec.promptTokens,
    total_tokens: spec.promptTokens + completion,
    completion_tokens: completion,
    prompt_tokens_details: null,
  });
  const chunk = (text: string | null, finish: string | null, completion: number, role = false): string => {
    const choice =
      spec.kind === "chat"
        ? { index: 0, delta: role ? { role: "assistant", content: "" } : { content: text ?? "" }, logprobs: null, finish_reason: finish }
        : { index: 0, text: text ?? "", logprobs: null, finish_reason: finish, stop_reason: null };
    const body: Record<string, unknown> = {
      id,
      object: spec.kind === "chat" ? "chat.completion.chunk" : "text_completion",
      created,
      model: spec.model,
      choices: [choice],
    };
    if (spec.continuousUsage) body.usage = usage(completion);
    return `data: ${JSON.stringify(body)}\n\n`;
  };

  await sleepMs(ctx.knobs.ttftMs * slowdown, stop);
  let generated = 0;
  if (spec.stream && !stop.aborted) {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    if (spec.kind === "chat") await writeChunk(res, chunk(null, null, 0, true));
  }
  for (const piece of pieces) {
    if (stop.aborted) break;
    if (generated === 0) pacer.started();
    else if (!pacer.unpaced) {
      // A token already due still yields, so that catching up does not hold the loop from other streams.
      const delay = pacer.nextDelayMs();
      await (delay > 0 ? sleepMs(delay, stop) : yieldToLoop());
    }
    if (stop.aborted) break;
    generated++;
    engine.generationTokens++;
    if (spec.stream) {
      const last = generated === pieces.length;
      if (!(await writeChunk(res, chunk(piece, last ? finishReason : null, generated)))) break;
      if (pacer.unpaced) await yieldToLoop();
      if (generated === crashAfter) {
        engine.die("fault_crash_mid_stream", ["RuntimeError: CUDA error: an illegal memory access was encountered", "EngineCore encountered a fatal error."]);
      }
    }
  }
  engine.promptTokens += spec.promptTokens;
  if (stop.aborted || res.destroyed) {
    finishStopped(ctx, res, id, why, spec.stream, (text, finish) => chunk(text, finish, generated), pieces.slice(0, generated).join(""), {
      spec,
      id,
      created,
      usage: usage(generated),
    });
    return;
  }
  engine.finish(id, "completed");
  if (spec.stream) {
    if (pieces.length === 0) await writeChunk(res, chunk("", finishReason, 0));
    if (spec.includeUsage) {
      const body = {
        id,
        object: spec.kind === "chat" ? "chat.completion.chunk" : "text_completion",
        created,
        model: spec.model,
        choices: [],
        usage: usage(generated),
      };
      await writeChunk(res, `data: ${JSON.stringify(body)}\n\n`);
    }
    await writeChunk(res, "data: [DONE]\n\n");
    res.end();
    return;
  }
  sendJson(res, 200, fullResponse(spec, id, created, pieces.join(""), finishReason, usage(generated)));
}

/**
 * The answer's tokens and where this request starts in them: 0 for a fresh
 * request; for a continuation of the model's own text, the tokens it already
 * holds, so that at temperature 0 a resumed generation goes on exactly as an
 * uninterrupted one would (vLLM with greedy decoding and the same context).
 */
function answerFor(spec: GenerationSpec, garbageWeights: boolean): { tokens: string[]; offset: number } {
  const ask = (input: string, extra: number) =>
    generateAnswer({
      model: spec.model,
      input,
      temperature: spec.temperature,
      seed: spec.seed,
      garbageWeights,
      ...(spec.ignoreEos ? { ignoreEosUntil: spec.maxTokens + extra } : {}),
    }).tokens;
  if (spec.continued === undefined) return { tokens: ask(spec.input, 0), offset: 0 };
  const held = splitWords(spec.continued).length;
  const own = ask(spec.input, held);
  const offset = continuationOffset(own, spec.continued);
  if (offset !== undefined) return { tokens: own, offset };
  // Foreign text: the model answers the whole context, after what it was given (hence the leading space).
  return { tokens: ["", ...ask(`${spec.input}\n${spec.continued}`, 0)], offset: 1 };
}

function fullResponse(spec: GenerationSpec, id: string, created: number, text: string, finishReason: string, usage: unknown): unknown {
  if (spec.kind === "chat") {
    return {
      id,
      object: "chat.completion",
      created,
      model: spec.model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: text,
            refusal: null,
            annotations: null,
            audio: null,
            function_call: null,
            tool_calls: [],
            reasoning_content: null,
          },
          logprobs: null,
          finish_reason: finishReason,
          stop_reason: null,
        },
      ],
      service_tier: null,
      system_fingerprint: null,
      usage,
      prompt_logprobs: null,
      kv_transfer_params: null,
    };
  }
  return {
    id,
    object: "text_completion",
    created,
    model: spec.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null, prompt_logprobs: null }],
    usage,
    kv_transfer_params: null,
  };
}

/** End a request that stopped early: client gone (cancelled), `/pause` abort (cancelled), engine died (failed). */
function finishStopped(
  ctx: SimContext,
  res: ServerResponse,
  id: string,
  why: AbortWhy,
  stream: boolean,
  chunk?: (text: string | null, finish: string | null) => string,
  textSoFar = "",
  full?: { spec: GenerationSpec; id: string; created: number; usage: unknown },
): void {
  const gone = res.destroyed || (res.socket?.destroyed ?? true);
  if (why === "engine_dead") {
    ctx.engine.finish(id, "failed");
    if (gone) return;
    if (stream && res.headersSent) {
      res.write(`data: ${JSON.stringify(errorBody(500, engineDeadMessage, "InternalServerError"))}\n\n`);
      res.end("data: [DONE]\n\n");
    } else sendError(res, 500, engineDeadMessage, "InternalServerError");
    return;
  }
  if (why === undefined && ctx.knobs.abortNoticeMs > 0) {
    // vLLM notices a client that went away only at its next step; until then the request still runs.
    setTimeout(() => ctx.engine.finish(id, "cancelled"), ctx.knobs.abortNoticeMs);
  } else ctx.engine.finish(id, "cancelled");
  if (gone || why !== "paused") return;
  // /pause without waiting aborts running requests; they end with finish_reason "abort".
  if (stream) {
    if (!res.headersSent) res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    if (chunk) res.write(chunk("", "abort"));
    res.end("data: [DONE]\n\n");
  } else if (full) {
    sendJson(res, 200, fullResponse(full.spec, full.id, full.created, textSoFar, "abort", full.usage));
  } else sendError(res, 500, "Request aborted", "InternalServerError");
}
