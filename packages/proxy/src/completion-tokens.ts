import { jsonUsageTokens } from "./json-usage.js";
import type { SseBoundaryTracker } from "./sse.js";
import { SseTokenEvents } from "./sse-token-events.js";

/** A JSON answer longer than this is not kept for its `usage` (a generation's answer is far smaller). */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

/**
 * Counts the completion tokens of an answer as it is relayed, so the lease
 * can report them and llmux measures the model's decode rate and output
 * lengths: the `usage` vLLM sends (in a JSON body, or in stream events when
 * the client asked for it), else one token per streamed event (vLLM sends
 * one event per decoding step by default).
 */
export class CompletionTokenCounter {
  readonly #sse: SseTokenEvents | null;
  readonly #json: Buffer[] = [];
  #jsonBytes = 0;

  /** A stream's `boundary` is told when its `[DONE]` goes through (the counter reads the lines anyway). */
  constructor(streaming: boolean, boundary?: SseBoundaryTracker) {
    this.#sse = streaming ? new SseTokenEvents(boundary) : null;
  }

  push(chunk: Buffer): void {
    if (this.#sse !== null) return this.#sse.push(chunk);
    this.#jsonBytes += chunk.length;
    if (this.#jsonBytes <= MAX_JSON_BYTES) this.#json.push(chunk);
  }

  /** The answer's completion tokens, or undefined when it showed none. */
  total(): number | undefined {
    const sse = this.#sse;
    if (sse !== null) return sse.reported ?? (sse.events > 0 ? sse.events : undefined);
    if (this.#jsonBytes > MAX_JSON_BYTES || this.#json.length === 0) return undefined;
    return jsonUsageTokens(this.#json.length === 1 ? (this.#json[0] as Buffer) : Buffer.concat(this.#json));
  }
}
