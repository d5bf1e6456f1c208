import { usageTokens } from "./json-usage.js";
import type { SseBoundaryTracker } from "./sse.js";

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const DATA_PREFIX = "data:";
const DONE = Buffer.from("[DONE]");
const USAGE = Buffer.from('"usage"');
/** A line or payload longer than this is not kept whole nor parsed for usage (vLLM's are a few hundred bytes). */
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Counts the events of an SSE byte stream as it is relayed, on the bytes:
 * no text decoding and no strings. It runs on every chunk of every stream,
 * so it only looks for line ends, `data:` prefixes and the `"usage"` key; an
 * event's payload becomes text only when it carries that key (once per
 * stream, at its end, when the client asked for usage). Events follow the
 * SSE rules vLLM's streams keep to: lines end in LF or CRLF, a blank line
 * ends an event, and an event's `data:` lines (less one space after the
 * colon), joined by LF, are its payload.
 */
export class SseTokenEvents {
  /** The line that did not end in the chunks so far, in pieces (views of the chunks; the socket never reuses them). */
  #partial: Buffer[] = [];
  #partialBytes = 0;
  /** `data:` lines in the current event. */
  #dataLines = 0;
  /** The current event is `data: [DONE]` (so far). */
  #done = false;
  /** The current event's `data:` values, kept when the event spans more than its line or holds `"usage"`. */
  #values: Buffer[] = [];
  #valueBytes = 0;
  #hasUsage = false;
  /** Events with data that were neither `[DONE]` nor a usage report. */
  events = 0;
  /** The completion tokens of the last event that reported usage. */
  reported: number | undefined;
  /** Told when the stream's `data: [DONE]` line goes through. */
  readonly #boundary: SseBoundaryTracker | undefined;

  constructor(boundary?: SseBoundaryTracker) {
    this.#boundary = boundary;
  }

  push(chunk: Buffer): void {
    let start = 0;
    if (this.#partialBytes > 0) {
      const end = chunk.indexOf(LF);
      if (end === -1) return this.#keepPartial(chunk);
      this.#keepPartial(chunk.subarray(0, end));
      const line = Buffer.concat(this.#partial);
      const whole = this.#partialBytes <= MAX_LINE_BYTES;
      this.#partial = [];
      this.#partialBytes = 0;
      this.#line(line, 0, line.length, whole && line.indexOf(USAGE) !== -1);
      start = end + 1;
    }
    // The next `"usage"` at or after `start`: searched once per chunk, not once per line.
    let usageAt = -2;
    while (start < chunk.length) {
      // The blank line after an event is found without a native call (they cost more than the bytes they scan).
      const end = chunk[start] === LF ? start : chunk.indexOf(LF, start);
      if (end === -1) break;
      if (usageAt !== -1 && usageAt < start) usageAt = chunk.indexOf(USAGE, start);
      this.#line(chunk, start, end, usageAt !== -1 && usageAt + USAGE.length <= end);
      start = end + 1;
    }
    if (start < chunk.length) this.#keepPartial(chunk.subarray(start));
  }

  #keepPartial(piece: Buffer): void {
    if (this.#partialBytes <= MAX_LINE_BYTES) this.#partial.push(piece);
    this.#partialBytes += piece.length;
  }

  /** One line: `bytes[start, lineEnd)`, its LF excluded. */
  #line(bytes: Buffer, start: number, lineEnd: number, hasUsage: boolean): void {
    const end = lineEnd > start && bytes[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    if (end === start) return this.#endEvent();
    if (!startsWithData(bytes, start, end)) return;
    let from = start + DATA_PREFIX.length;
    if (from < end && bytes[from] === SPACE) from++;
    this.#dataLines++;
    this.#done = this.#dataLines === 1 && end - from === DONE.length && bytes.compare(DONE, 0, DONE.length, from, end) === 0;
    if (this.#done) this.#boundary?.markDone();
    this.#hasUsage ||= hasUsage;
    // vLLM's events are one line followed by the blank one in the same chunk: nothing of them needs keeping.
    if (this.#hasUsage || this.#dataLines > 1 || !blankLineAt(bytes, lineEnd + 1)) {
      this.#values.push(bytes.subarray(from, end));
      this.#valueBytes += end - from;
    }
  }

  #endEvent(): void {
    const dataLines = this.#dataLines;
    const done = this.#done;
    // A usage report is a few hundred bytes: a huge payload is counted as an event, not parsed.
    const payload = this.#hasUsage && this.#valueBytes <= MAX_LINE_BYTES ? this.#values.map((value) => value.toString("utf8")).join("\n") : undefined;
    this.#dataLines = 0;
    this.#done = false;
    this.#hasUsage = false;
    if (this.#values.length > 0) {
      this.#values = [];
      this.#valueBytes = 0;
    }
    if (dataLines === 0 || done) return;
    const reported = payload === undefined ? undefined : usageTokens(payload);
    if (reported === undefined) this.events++;
    else this.reported = reported;
  }
}

function startsWithData(bytes: Buffer, start: number, end: number): boolean {
  return (
    end - start >= DATA_PREFIX.length &&
    bytes[start] === 0x64 &&
    bytes[start + 1] === 0x61 &&
    bytes[start + 2] === 0x74 &&
    bytes[start + 3] === 0x61 &&
    bytes[start + 4] === 0x3a
  );
}

function blankLineAt(bytes: Buffer, index: number): boolean {
  return bytes[index] === LF || (bytes[index] === CR && bytes[index + 1] === LF);
}
