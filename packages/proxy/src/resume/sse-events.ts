/**
 * Splits an SSE byte stream into the `data:` payloads of its events (vLLM
 * sends one `data:` line per event). Comments and other fields are dropped.
 */
export class SseEventReader {
  #pending = "";
  readonly #decoder = new TextDecoder();

  push(chunk: Buffer): string[] {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    const events: string[] = [];
    for (;;) {
      const end = this.#pending.search(/\r?\n\r?\n/);
      if (end === -1) break;
      const raw = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(end).replace(/^\r?\n\r?\n/, "");
      const data = raw
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(line.startsWith("data: ") ? 6 : 5));
      if (data.length > 0) events.push(data.join("\n"));
    }
    return events;
  }
}
