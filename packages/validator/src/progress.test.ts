import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ProgressLine, describeStep } from "./progress.js";

function sink(isTTY: boolean): Writable & { isTTY: boolean; text: string } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      stream.text += chunk.toString();
      callback();
    },
  }) as Writable & { isTTY: boolean; text: string };
  stream.isTTY = isTTY;
  stream.text = "";
  return stream;
}

describe("ProgressLine", () => {
  it("draws the running step with elapsed time on a TTY and erases it when the step ends", () => {
    const stream = sink(true);
    const progress = new ProgressLine(stream);
    progress.update({ step: "start", level: null, phase: "begin" });
    expect(stream.text).toMatch(/starting the model \(cold start\) \d+\.\ds$/);
    progress.update({ step: "start", level: null, phase: "end" });
    expect(stream.text.endsWith("\r\x1b[2K")).toBe(true);
    progress.clear();
  });

  it("writes nothing when the stream is not a TTY", () => {
    const stream = sink(false);
    const progress = new ProgressLine(stream);
    progress.update({ step: "sleep", level: 1, phase: "begin" });
    progress.update({ step: "sleep", level: 1, phase: "end" });
    progress.clear();
    expect(stream.text).toBe("");
  });

  it("names level steps", () => {
    expect(describeStep({ step: "wake", level: 2, phase: "begin" })).toBe("L2: waking");
    expect(describeStep({ step: "wake", level: 3, phase: "begin" })).toBe("L3: cold start (level 3)");
  });
});
