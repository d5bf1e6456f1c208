import { CoreError } from "../errors.js";

/** One request of an arrival trace. */
export interface TraceRequest {
  /** Arrival time, seconds from the start of the trace. */
  t: number;
  model: string;
  /** Tokens to generate (drives the service time). */
  tokens: number;
  /** The client's `max_tokens`, when it sent one (admission plans with it). */
  max_tokens?: number;
}

/** Parse a trace: JSON lines `{"t": secs, "model": name, "tokens": n, "max_tokens"?: n}`; blank lines and `#` comments are skipped. */
export function parseTrace(text: string): TraceRequest[] {
  const requests: TraceRequest[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new CoreError("LLMUX_ERR_CONFIG", `trace line ${index + 1}: not JSON (${(error as Error).message})`);
    }
    const record = value as Partial<TraceRequest> | null;
    if (
      !record ||
      typeof record.t !== "number" ||
      !(record.t >= 0) ||
      typeof record.model !== "string" ||
      record.model === "" ||
      typeof record.tokens !== "number" ||
      !(record.tokens >= 0)
    ) {
      throw new CoreError(
        "LLMUX_ERR_CONFIG",
        `trace line ${index + 1}: expected {"t": secs >= 0, "model": name, "tokens": n >= 0}, found ${trimmed.slice(0, 80)}`,
      );
    }
    const request: TraceRequest = { t: record.t, model: record.model, tokens: record.tokens };
    if (record.max_tokens !== undefined) {
      if (typeof record.max_tokens !== "number" || !(record.max_tokens >= 1)) {
        throw new CoreError("LLMUX_ERR_CONFIG", `trace line ${index + 1}: max_tokens must be a number >= 1, found ${JSON.stringify(record.max_tokens)}`);
      }
      request.max_tokens = record.max_tokens;
    }
    requests.push(request);
  });
  return requests.sort((a, b) => a.t - b.t);
}

/** Serialize a trace as JSON lines. */
export function formatTrace(requests: readonly TraceRequest[]): string {
  return `${requests.map((r) => JSON.stringify({ t: r.t, model: r.model, tokens: r.tokens, ...(r.max_tokens === undefined ? {} : { max_tokens: r.max_tokens }) })).join("\n")}\n`;
}
