import { Writable } from "node:stream";
import type { MuxEvent } from "@llmux/core";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { logMuxEvent } from "./mux-event-log.js";

function capture(level: "info" | "debug" = "info") {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).trim().split("\n")) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ destination: stream, level, format: "json" }), lines };
}

describe("logMuxEvent", () => {
  it("logs a switch in one line with its phases and durations", () => {
    const { logger, lines } = capture();
    const event: MuxEvent = {
      type: "switch-end",
      record: {
        id: 4,
        from: ["a"],
        to: "b",
        startedAt: 0,
        durationMs: 1320.4,
        result: "ok",
        phases: [
          { phase: "drain", model: "a", durationMs: 12, ok: true },
          { phase: "sleep", model: "a", level: 1, durationMs: 1004, ok: true },
          { phase: "wake", model: "b", level: 1, durationMs: 304, ok: true },
        ],
      },
    };
    logMuxEvent(logger, event);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: "switch 4 to b ok in 1.3s: drain a 0.0s, sleep a(L1) 1.0s, wake b(L1) 0.3s",
      switch_id: 4,
      duration_ms: 1320,
      result: "ok",
    });
    expect(lines[0]?.["phases"]).toHaveLength(3);
  });

  it("logs a failed switch at error with its error", () => {
    const { logger, lines } = capture();
    logMuxEvent(logger, {
      type: "switch-end",
      record: { id: 1, from: [], to: "b", startedAt: 0, durationMs: 50, result: "failed", error: "start failed: CUDA out of memory", phases: [{ phase: "start", model: "b", durationMs: 50, ok: false }] },
    });
    expect(lines[0]).toMatchObject({ level: 50, error: "start failed: CUDA out of memory" });
    expect(lines[0]?.["msg"]).toContain("start b 0.1s FAILED");
  });

  it("logs state changes at info, an unexpected exit with its last lines at error, and queueing only at debug", () => {
    const { logger, lines } = capture();
    logMuxEvent(logger, { type: "state", model: "a", from: "asleep", to: "waking", at: 0, durationMs: 5000 });
    logMuxEvent(logger, {
      type: "engine-exit",
      model: "a",
      at: 0,
      expected: false,
      exit: { code: 1, signal: null, expected: false, lastLines: ["RuntimeError: CUDA error"] },
    });
    logMuxEvent(logger, { type: "queued", model: "a", at: 0, queueDepth: 2 });
    expect(lines.map((line) => [line["level"], line["msg"]])).toEqual([
      [30, "a: asleep -> waking"],
      [50, "a: vLLM died unexpectedly"],
    ]);
    expect(lines[1]?.["last_lines"]).toEqual(["RuntimeError: CUDA error"]);
    const debug = capture("debug");
    logMuxEvent(debug.logger, { type: "queued", model: "a", at: 0, queueDepth: 2 });
    expect(debug.lines[0]).toMatchObject({ level: 20, queue_depth: 2 });
  });
});
