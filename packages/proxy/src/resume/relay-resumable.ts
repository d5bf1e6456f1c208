import type { ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import type { AcquireOptions } from "@llmux/core";
import { drained } from "../drained.js";
import type { ProxyLease } from "../mux.js";
import { type OpenAIErrorBody, sendJson } from "../openai-error.js";
import { endSseWithError } from "../sse.js";
import { upstreamErrorBody } from "../upstream-error-body.js";
import { classifyUpstreamError } from "../upstream-errors.js";
import { UpstreamFailedError, UpstreamTimeoutError } from "../errors.js";
import { partBody } from "./continuation-body.js";
import type { ResumablePlan } from "./resumable.js";
import { SseEventReader } from "./sse-events.js";
import { ResponseStitcher } from "./stitcher.js";

/** What the resumable relay needs from the request it serves. */
export interface ResumableIo {
  res: ServerResponse;
  model: string;
  requestId: string;
  plan: ResumablePlan;
  /** Aborted when the client goes away or the proxy shuts down. */
  cancel: AbortSignal;
  /**
   * Longest a continuation may take to its first byte (`policy.request_timeout_secs`).
   * The client has waited through a pause already: a continuation vLLM took but never
   * answers ends in an error, not in a wait for the upstream timeout (10 minutes).
   */
  resumeFirstByteMs: number;
  /** The multiplexer's clock, in which a paused request keeps its arrival time. */
  clockNow: () => number;
  /** Wait for a lease (streams get keep-alive comments meanwhile). */
  acquire: (options: Required<Pick<AcquireOptions, "preemptible" | "requestId">> & Pick<AcquireOptions, "resume">) => Promise<ProxyLease>;
  send: (lease: ProxyLease, body: Buffer, signal: AbortSignal) => Promise<Dispatcher.ResponseData>;
  /** Send the 200 event-stream head (once). */
  commitStream: () => void;
  /** Told when the first byte of the answer reached us. */
  firstByte: () => void;
  /** Told about each continuation: the prompt tokens vLLM read again. */
  resumed: (rereadTokens: number) => void;
  /** Told when the request is paused (tokens produced so far, pauses so far); the returned function ends the pause. */
  paused: (completionTokens: number, preemptions: number) => () => void;
}

const PAUSED = "LLMUX_ERR_REQUEST_PAUSED";

function pausedBy(lease: ProxyLease): boolean {
  return lease.signal.aborted && (lease.signal.reason as { code?: unknown } | undefined)?.code === PAUSED;
}

/**
 * Relay a resumable request as one or more parts. A switch may pause a part
 * (its lease aborts with `LLMUX_ERR_REQUEST_PAUSED`): the upstream request is
 * closed, what was generated is kept, and the request queues again at the
 * head of its model's queue; the next part continues the text. The client
 * sees one response. Throws (for `fail`) when a part fails.
 */
export async function relayResumable(io: ResumableIo): Promise<void> {
  const stitcher = new ResponseStitcher(io.plan);
  const arrivedAt = io.clockNow();
  let pausedAt = arrivedAt;
  let unpause = (): void => {};
  for (let part = 0; ; part++) {
    const resume = part === 0 ? undefined : { arrivedAt, pausedAt, preemptions: part };
    let lease: ProxyLease;
    try {
      lease = await io.acquire({ preemptible: true, requestId: io.requestId, ...(resume ? { resume } : {}) });
    } finally {
      unpause();
    }
    let outcome: "done" | "paused";
    const rereadBefore = stitcher.rereadTokens;
    const tokensBefore = stitcher.tokens;
    try {
      outcome = await relayPart(io, lease, stitcher, part);
    } finally {
      const produced = stitcher.tokens - tokensBefore;
      lease.release(produced > 0 ? { completionTokens: produced } : undefined);
      if (part > 0) io.resumed(stitcher.rereadTokens - rereadBefore);
    }
    if (outcome === "done") return;
    pausedAt = io.clockNow();
    stitcher.nextPart();
    unpause = io.paused(stitcher.tokens, part + 1);
  }
}

async function relayPart(io: ResumableIo, lease: ProxyLease, stitcher: ResponseStitcher, part: number): Promise<"done" | "paused"> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  io.cancel.addEventListener("abort", abort);
  lease.signal.addEventListener("abort", abort);
  if (io.cancel.aborted || lease.signal.aborted) abort();
  // Closing the upstream request is what cancels the continuation at vLLM.
  const firstByte = part === 0 ? undefined : new FirstByteTimer(io.resumeFirstByteMs, abort);
  try {
    return await streamPart(io, lease, stitcher, part, controller.signal, firstByte);
  } catch (error) {
    if (pausedBy(lease) && !io.cancel.aborted) return "paused";
    if (firstByte?.expired && !io.cancel.aborted && !lease.signal.aborted) {
      throw new UpstreamTimeoutError(lease.model, new Error(`no byte of the continuation within ${io.resumeFirstByteMs} ms`));
    }
    throw classifyUpstreamError(error, lease.model, lease.signal);
  } finally {
    firstByte?.clear();
    io.cancel.removeEventListener("abort", abort);
    lease.signal.removeEventListener("abort", abort);
  }
}

/** Fires `onExpire` unless the first byte came (`clear`) within `ms`. */
class FirstByteTimer {
  expired = false;
  readonly #timer: NodeJS.Timeout;

  constructor(ms: number, onExpire: () => void) {
    this.#timer = setTimeout(() => {
      this.expired = true;
      onExpire();
    }, ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

async function streamPart(
  io: ResumableIo,
  lease: ProxyLease,
  stitcher: ResponseStitcher,
  part: number,
  signal: AbortSignal,
  firstByte: FirstByteTimer | undefined,
): Promise<"done" | "paused"> {
  const { res, plan } = io;
  const response = await io.send(lease, partBody(plan, io.model, stitcher.text, stitcher.tokens, part), signal);
  if (response.statusCode >= 400) {
    const body = await upstreamErrorBody(response);
    if (!res.headersSent && (part === 0 || !plan.stream)) sendJson(res, body, response.statusCode);
    else endSseWithError(res, body, false);
    return "done";
  }
  if (plan.stream && !res.headersSent) io.commitStream();
  const reader = new SseEventReader();
  let first = part === 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    firstByte?.clear();
    if (first) {
      io.firstByte();
      first = false;
    }
    for (const data of reader.push(chunk)) {
      const step = stitcher.step(data);
      if (step.kind === "error") {
        if (plan.stream) endSseWithError(res, step.body as OpenAIErrorBody, false);
        else sendJson(res, step.body, 500);
        return "done";
      }
      if (step.kind === "done") return finish(io, stitcher);
      if (step.kind === "chunk" && plan.stream && !res.write(step.out)) await drained(res);
    }
  }
  if (pausedBy(lease)) return "paused";
  throw new UpstreamFailedError(lease.model, new Error("the model's stream ended without [DONE]"));
}

function finish(io: ResumableIo, stitcher: ResponseStitcher): "done" {
  if (io.plan.stream) io.res.end(stitcher.streamEnd());
  else sendJson(io.res, stitcher.jsonBody());
  return "done";
}
