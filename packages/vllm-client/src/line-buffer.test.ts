import { describe, expect, it } from "vitest";
import { LineBuffer } from "./line-buffer.js";

describe("LineBuffer", () => {
  it("splits chunks into lines per stream, across chunk boundaries", () => {
    const lines = new LineBuffer();
    expect(lines.push("stdout", "INFO loa")).toEqual([]);
    expect(lines.push("stderr", "WARN x\n")).toEqual(["WARN x"]);
    expect(lines.push("stdout", "ding\nnext\r\nthird\rprog")).toEqual(["INFO loading", "next", "third"]);
    expect(lines.end("stdout")).toEqual(["prog"]);
    expect(lines.end("stderr")).toEqual([]);
    expect(lines.lastLines()).toEqual(["WARN x", "INFO loading", "next", "third", "prog"]);
  });

  it("does not invent an empty line when \\r\\n is split across chunks", () => {
    const lines = new LineBuffer();
    expect(lines.push("stdout", "a\r")).toEqual([]);
    expect(lines.push("stdout", "\nb\n")).toEqual(["a", "b"]);
  });

  it("decodes multi-byte characters split across buffers", () => {
    const lines = new LineBuffer();
    const bytes = Buffer.from("größe\n", "utf8");
    expect(lines.push("stdout", bytes.subarray(0, 3))).toEqual([]);
    expect(lines.push("stdout", bytes.subarray(3))).toEqual(["größe"]);
  });

  it("keeps only the last N lines, oldest first", () => {
    const lines = new LineBuffer(3);
    lines.push("stdout", "1\n2\n3\n4\n5\n");
    expect(lines.lastLines()).toEqual(["3", "4", "5"]);
    const copy = lines.lastLines();
    copy.push("mutated");
    expect(lines.lastLines()).toEqual(["3", "4", "5"]);
  });
});
