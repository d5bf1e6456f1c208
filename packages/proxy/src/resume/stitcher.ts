import type { ResumablePlan } from "./resumable.js";

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

interface Chunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  choices?: { index?: number; delta?: { role?: string; content?: string | null }; text?: string; finish_reason?: string | null }[];
  usage?: Usage | null;
  error?: unknown;
}

/** What one upstream event means for the response the client sees. */
export type StitchStep = { kind: "chunk"; out: string } | { kind: "skip" } | { kind: "done" } | { kind: "error"; body: unknown };

/**
 * Joins the parts of a paused and resumed generation into one response: one
 * `id`, `created` and `model` (the first part's), the text of every part in
 * order, the role chunk once, usage summed over the parts (prompt tokens of
 * the first part: what the client sent; completion tokens of all parts).
 */
export class ResponseStitcher {
  readonly #plan: ResumablePlan;
  #head: { id: string; object: string; created: number; model: string } | undefined;
  #text = "";
  #tokensBefore = 0;
  #partTokens = 0;
  #partChunks = 0;
  #partUsageSeen = false;
  #promptTokens: number | undefined;
  #finishReason: string | null = null;
  #part = 0;
  #rereadCounted = false;
  /** Prompt tokens of the continuation parts: what vLLM read again. */
  rereadTokens = 0;

  constructor(plan: ResumablePlan) {
    this.#plan = plan;
  }

  get text(): string {
    return this.#text;
  }

  /** Completion tokens produced so far over every part. */
  get tokens(): number {
    return this.#tokensBefore + this.#partTokens;
  }

  get finished(): boolean {
    return this.#finishReason !== null;
  }

  /** Start the next part: what the last one produced is kept. */
  nextPart(): void {
    this.#tokensBefore += this.#partTokens;
    this.#partTokens = 0;
    this.#partChunks = 0;
    this.#partUsageSeen = false;
    this.#rereadCounted = false;
    this.#part++;
  }

  /** Digest one upstream `data:` payload. */
  step(data: string): StitchStep {
    if (data.trim() === "[DONE]") return { kind: "done" };
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      return { kind: "skip" };
    }
    if (chunk.error !== undefined) return { kind: "error", body: chunk };
    this.#head ??= {
      id: chunk.id ?? "",
      object: chunk.object ?? (this.#plan.kind === "chat" ? "chat.completion.chunk" : "text_completion"),
      created: chunk.created ?? Math.floor(Date.now() / 1000),
      model: chunk.model ?? "",
    };
    if (chunk.usage) this.#countUsage(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) return { kind: "skip" };
    const piece = this.#plan.kind === "chat" ? (choice.delta?.content ?? "") : (choice.text ?? "");
    if (choice.delta?.role !== undefined && piece === "" && (this.#part > 0 || this.#text !== "")) return { kind: "skip" };
    if (piece !== "") {
      this.#text += piece;
      this.#partChunks++;
      if (!this.#partUsageSeen) this.#partTokens = this.#partChunks;
    }
    if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    const out: Chunk = { ...chunk, ...this.#head };
    if (this.#plan.continuousUsage) out.usage = this.usage();
    else delete out.usage;
    return { kind: "chunk", out: `data: ${JSON.stringify(out)}\n\n` };
  }

  #countUsage(usage: Usage): void {
    if (typeof usage.completion_tokens === "number") {
      this.#partTokens = usage.completion_tokens;
      this.#partUsageSeen = true;
    }
    if (typeof usage.prompt_tokens === "number") {
      if (this.#part === 0) this.#promptTokens = usage.prompt_tokens;
      else if (!this.#rereadCounted) {
        this.rereadTokens += usage.prompt_tokens;
        this.#rereadCounted = true;
      }
    }
  }

  usage(): { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details: null } {
    const prompt = this.#promptTokens ?? 0;
    return { prompt_tokens: prompt, completion_tokens: this.tokens, total_tokens: prompt + this.tokens, prompt_tokens_details: null };
  }

  /** The end of the stream: usage when the client asked for it, then `[DONE]`. */
  streamEnd(): string {
    const head = this.#head ?? { id: "", object: "", created: 0, model: "" };
    const usage = this.#plan.includeUsage ? `data: ${JSON.stringify({ ...head, choices: [], usage: this.usage() })}\n\n` : "";
    return `${usage}data: [DONE]\n\n`;
  }

  /** The one JSON body of a non-streaming request. */
  jsonBody(): unknown {
    const head = this.#head ?? { id: "", created: 0, model: "" };
    const finish = this.#finishReason;
    if (this.#plan.kind === "chat") {
      return {
        id: head.id,
        object: "chat.completion",
        created: head.created,
        model: head.model,
        choices: [{ index: 0, message: { role: "assistant", content: this.#text, tool_calls: [] }, logprobs: null, finish_reason: finish, stop_reason: null }],
        usage: this.usage(),
      };
    }
    return {
      id: head.id,
      object: "text_completion",
      created: head.created,
      model: head.model,
      choices: [{ index: 0, text: this.#text, logprobs: null, finish_reason: finish, stop_reason: null }],
      usage: this.usage(),
    };
  }
}
