import { describe, expect, it } from "vitest";
import { usageTokens } from "./json-usage.js";
import { SseEventReader } from "./resume/sse-events.js";
import { SseBoundaryTracker } from "./sse.js";
import { SseTokenEvents } from "./sse-token-events.js";

const delta = (text: string): string => `{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${text}"}}]}`;
const usage = (tokens: number): string => `{"id":"c1","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":${tokens},"total_tokens":${tokens + 4}}}`;
const events = (payloads: string[], end = "\n\n"): string => payloads.map((payload) => `data: ${payload}${end}`).join("");

/** Streams the byte reader must count exactly as the text reader does, with what that is. */
const streams: Array<[string, string, { events: number; reported?: number }]> = [
  ["deltas then [DONE]", `${events(["a", "b", "c"].map(delta))}data: [DONE]\n\n`, { events: 3 }],
  ["deltas, a usage event, [DONE]", `${events([delta("a"), delta("b"), usage(2)])}data: [DONE]\n\n`, { events: 2, reported: 2 }],
  ["CRLF lines", `${events([delta("a"), usage(1)], "\r\n\r\n")}data: [DONE]\r\n\r\n`, { events: 1, reported: 1 }],
  ["usage on every event (continuous usage stats)", events([1, 2, 3].map(usage)), { events: 0, reported: 3 }],
  ["usage null on every event", events(['{"choices":[],"usage":null}', '{"choices":[],"usage":null}']), { events: 2 }],
  ["keep-alive comments and other fields", `: waiting for model m\n\nevent: message\nid: 7\ndata: ${delta("a")}\n\n: ping\n\n`, { events: 1 }],
  ["data without a space", `data:${delta("a")}\n\ndata:[DONE]\n\n`, { events: 1 }],
  ["a usage report split over two data lines", `data: {"choices":[],\ndata: "usage":{"completion_tokens":9}}\n\n`, { events: 0, reported: 9 }],
  ["a multi-line event that only starts like [DONE]", "data: [DONE]\ndata: more\n\n", { events: 1 }],
  ["an unusable usage counts as an event", `data: {"usage":{"completion_tokens":"x"}}\n\n`, { events: 1 }],
  ["an unfinished last event is not counted", `${events([delta("a")])}data: ${delta("b")}\n`, { events: 1 }],
  ["non-ASCII text", events([delta("héllo ✓"), delta("日本"), usage(2)]), { events: 2, reported: 2 }],
];

function reference(chunks: Buffer[]): { events: number; reported?: number } {
  const reader = new SseEventReader();
  let count = 0;
  let reported: number | undefined;
  for (const chunk of chunks) {
    for (const data of reader.push(chunk)) {
      if (data === "[DONE]") continue;
      const tokens = data.includes('"usage"') ? usageTokens(data) : undefined;
      if (tokens === undefined) count++;
      else reported = tokens;
    }
  }
  return { events: count, ...(reported === undefined ? {} : { reported }) };
}

function scanned(chunks: Buffer[]): { events: number; reported?: number } {
  const scanner = new SseTokenEvents();
  for (const chunk of chunks) scanner.push(chunk);
  return { events: scanner.events, ...(scanner.reported === undefined ? {} : { reported: scanner.reported }) };
}

/** Every way of cutting `bytes` in two, and a few in many pieces (chunks arrive cut anywhere, even inside a character). */
function splits(bytes: Buffer): Buffer[][] {
  const result: Buffer[][] = [[bytes]];
  for (let at = 1; at < bytes.length; at++) result.push([bytes.subarray(0, at), bytes.subarray(at)]);
  for (const size of [1, 2, 3, 7, 64]) {
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
    result.push(pieces);
  }
  return result;
}

describe("SseTokenEvents counts a stream's events on its bytes", () => {
  it.each(streams)("%s, however the chunks are cut", (_name, text, expected) => {
    const bytes = Buffer.from(text);
    for (const chunks of splits(bytes)) {
      expect(reference(chunks)).toEqual(expected);
      expect(scanned(chunks)).toEqual(expected);
    }
  });

  it("counts an event too long to keep (over 1 MiB) without parsing its usage", () => {
    const scanner = new SseTokenEvents();
    const piece = Buffer.alloc(256 * 1024, "x");
    scanner.push(Buffer.from('data: {"usage":{"completion_tokens":5},"pad":"'));
    for (let i = 0; i < 64; i++) scanner.push(piece);
    scanner.push(Buffer.from('"}\n\n'));
    expect({ events: scanner.events, reported: scanner.reported }).toEqual({ events: 1, reported: undefined });
  });

  it("tells the boundary tracker when the stream's [DONE] goes through, not when its text is inside an event", () => {
    const boundary = new SseBoundaryTracker();
    const scanner = new SseTokenEvents(boundary);
    scanner.push(Buffer.from(events([delta("data: [DONE]"), delta("b")])));
    expect(boundary.done).toBe(false);
    scanner.push(Buffer.from("data: [DO"));
    expect(boundary.done).toBe(false);
    scanner.push(Buffer.from("NE]\n\n"));
    expect(boundary.done).toBe(true);
    expect(scanner.events).toBe(2);
  });
});
