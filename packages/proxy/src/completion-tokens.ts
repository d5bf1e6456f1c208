import { SseEventReader } from "./resume/sse-events.js";

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
  readonly #sse: SseEventReader | null;
  readonly #json: Buffer[] = [];
  #jsonBytes = 0;
  #events = 0;
  #reported: number | undefined;

  constructor(streaming: boolean) {
    this.#sse = streaming ? new SseEventReader() : null;
  }

  push(chunk: Buffer): void {
    if (this.#sse === null) {
      this.#jsonBytes += chunk.length;
      if (this.#jsonBytes <= MAX_JSON_BYTES) this.#json.push(chunk);
      return;
    }
    for (const data of this.#sse.push(chunk)) {
      if (data === "[DONE]") continue;
      // Only events that carry usage are parsed: the rest are counted.
      if (data.includes('"usage"')) {
        const reported = usageTokens(data);
        if (reported !== undefined) {
          this.#reported = reported;
          continue;
        }
      }
      this.#events++;
    }
  }

  /** The answer's completion tokens, or undefined when it showed none. */
  total(): number | undefined {
    if (this.#sse !== null) return this.#reported ?? (this.#events > 0 ? this.#events : undefined);
    if (this.#jsonBytes > MAX_JSON_BYTES || this.#json.length === 0) return undefined;
    return usageTokens(Buffer.concat(this.#json).toString("utf8"));
  }
}

/** `usage.completion_tokens` (OpenAI routes) or `usage.output_tokens` (`/v1/messages`) of a JSON text. */
function usageTokens(text: string): number | undefined {
  try {
    const usage = (JSON.parse(text) as { usage?: { completion_tokens?: unknown; output_tokens?: unknown } | null }).usage;
    const tokens = usage?.completion_tokens ?? usage?.output_tokens;
    return typeof tokens === "number" && Number.isFinite(tokens) && tokens >= 0 ? tokens : undefined;
  } catch {
    return undefined;
  }
}
