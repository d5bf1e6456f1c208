import { StringDecoder } from "node:string_decoder";

/**
 * Splits a byte stream into lines (`\n` or `\r\n`; a lone `\r`, as progress
 * bars print, also ends a line) and keeps the last `keep` lines of all streams
 * fed to it, oldest first, for error messages.
 */
export class LineBuffer {
  readonly #keep: number;
  readonly #recent: string[] = [];
  readonly #partial = new Map<string, string>();
  readonly #decoders = new Map<string, StringDecoder>();

  constructor(keep = 50) {
    this.#keep = Math.max(0, keep);
  }

  /** Feed a chunk of `stream`; returns the complete lines it finished. */
  push(stream: string, chunk: Buffer | string): string[] {
    let decoder = this.#decoders.get(stream);
    if (decoder === undefined) {
      decoder = new StringDecoder("utf8");
      this.#decoders.set(stream, decoder);
    }
    const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
    let combined = (this.#partial.get(stream) ?? "") + text;
    // A trailing \r may be the first half of a \r\n split across chunks: hold it back.
    const heldReturn = combined.endsWith("\r");
    if (heldReturn) combined = combined.slice(0, -1);
    const pieces = combined.split(/\r\n|\n|\r/);
    this.#partial.set(stream, (pieces.pop() ?? "") + (heldReturn ? "\r" : ""));
    for (const line of pieces) this.#remember(line);
    return pieces;
  }

  /** End of `stream`: returns its unterminated last line, if any. */
  end(stream: string): string[] {
    const rest = ((this.#partial.get(stream) ?? "") + (this.#decoders.get(stream)?.end() ?? "")).replace(/\r$/, "");
    this.#partial.delete(stream);
    this.#decoders.delete(stream);
    if (rest.length === 0) return [];
    this.#remember(rest);
    return [rest];
  }

  /** The last kept lines, oldest first (a copy). */
  lastLines(): string[] {
    return [...this.#recent];
  }

  #remember(line: string): void {
    if (this.#keep === 0) return;
    this.#recent.push(line);
    if (this.#recent.length > this.#keep) this.#recent.splice(0, this.#recent.length - this.#keep);
  }
}
