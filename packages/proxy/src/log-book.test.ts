import { describe, expect, it } from "vitest";
import { LLMUX_LOG, LogBook, MAX_LINE_CHARS } from "./log-book.js";

describe("LogBook", () => {
  it("keeps the last N lines per source, oldest first", () => {
    const book = new LogBook({ lines: 3 });
    for (let index = 1; index <= 5; index += 1) book.append("qwen", `q${index}`);
    book.append(LLMUX_LOG, "own");
    expect(book.lines("qwen")).toEqual(["q3", "q4", "q5"]);
    expect(book.lines(LLMUX_LOG)).toEqual(["own"]);
    expect(book.lines("other")).toEqual([]);
  });

  it("keeps nothing with 0 lines but still tells followers, until they unsubscribe", () => {
    const book = new LogBook({ lines: 0 });
    const seen: string[] = [];
    const stop = book.follow("qwen", (line) => seen.push(line));
    book.append("qwen", "a");
    stop();
    book.append("qwen", "b");
    expect(book.lines("qwen")).toEqual([]);
    expect(seen).toEqual(["a"]);
  });

  it("never keeps or sends secrets, and cuts very long lines", () => {
    const book = new LogBook({ lines: 10, secrets: ["sk-admin-123", "sk-user"] });
    const seen: string[] = [];
    book.follow(LLMUX_LOG, (line) => seen.push(line));
    book.append(LLMUX_LOG, 'key sk-admin-123 and sk-user; {"authorization":"Bearer abc.def"} --api-key=xyz');
    expect(book.lines(LLMUX_LOG)).toEqual(['key [redacted] and [redacted]; {"authorization":"Bearer [redacted]"} --api-key=[redacted]']);
    expect(seen).toEqual(book.lines(LLMUX_LOG));
    book.append("m", "x".repeat(MAX_LINE_CHARS * 2));
    expect(book.lines("m")[0]?.length).toBe(MAX_LINE_CHARS + 1);
  });
});
