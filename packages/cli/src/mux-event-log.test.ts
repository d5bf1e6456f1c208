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
        trigger: "request",
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
      trigger: "request",
      duration_ms: 1320,
      result: "ok",
    });
    expect(lines[0]?.["phases"]).toEqual([
      { phase: "drain", model: "a", level: null, duration_ms: 12, ok: true },
      { phase: "sleep", model: "a", level: 1, duration_ms: 1004, ok: true },
      { phase: "wake", model: "b", level: 1, duration_ms: 304, ok: true },
    ]);
  });

  it("logs a failed switch at error with its error", () => {
    const { logger, lines } = capture();
    logMuxEvent(logger, {
      type: "switch-end",
      record: {
        id: 1,
        trigger: "request",
        from: [],
        to: "b",
        startedAt: 0,
        durationMs: 50,
        result: "failed",
        error: "start failed: CUDA out of memory",
        phases: [{ phase: "start", model: "b", durationMs: 50, ok: false }],
      },
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
    logMuxEvent(debug.logger, { type: "queued", model: "a", at: 0, queueDepth: 2, promisedMs: 41_000.4, requestId: "req-7" });
    logMuxEvent(debug.logger, { type: "rejected", model: "a", at: 0, waitMs: 30_000, code: "LLMUX_ERR_QUEUE_TIMEOUT", requestId: "req-7" });
    expect(debug.lines[0]).toMatchObject({ level: 20, queue_depth: 2, promised_ms: 41_000, request_id: "req-7" });
    expect(debug.lines[1]).toMatchObject({ level: 20, request_id: "req-7", code: "LLMUX_ERR_QUEUE_TIMEOUT" });
  });

  it("logs an admin sleep as a switch that brings nothing up", () => {
    const { logger, lines } = capture();
    logMuxEvent(logger, { type: "switch-start", id: 3, trigger: "admin", from: ["a"], to: null, at: 0, reason: "admin sleep" });
    logMuxEvent(logger, {
      type: "switch-end",
      record: {
        id: 3,
        trigger: "admin",
        from: ["a"],
        to: null,
        startedAt: 0,
        durationMs: 1100,
        result: "ok",
        phases: [{ phase: "sleep", model: "a", level: 1, durationMs: 1000, ok: true }],
      },
    });
    expect(lines[0]).toMatchObject({ switch_id: 3, trigger: "admin", to: null, msg: "switch 3 (admin): a -> (nothing)" });
    expect(lines[1]).toMatchObject({ switch_id: 3, trigger: "admin", to: null, msg: "switch 3 (admin) puts away a ok in 1.1s: sleep a(L1) 1.0s" });
  });

  it("names the requests a switch paused, and each resume", () => {
    const { logger, lines } = capture();
    logMuxEvent(logger, { type: "paused", model: "a", at: 0, requests: ["req-1", "req-2"], drainMs: 1003 });
    logMuxEvent(logger, { type: "resumed", model: "a", at: 0, requestId: "req-1", pausedMs: 4200, preemptions: 1 });
    logMuxEvent(logger, {
      type: "switch-end",
      record: {
        id: 2,
        trigger: "request",
        from: ["a"],
        to: "b",
        startedAt: 0,
        durationMs: 2000,
        result: "ok",
        phases: [],
        paused: [{ model: "a", requests: ["req-1", "req-2"] }],
      },
    });
    expect(lines[0]).toMatchObject({
      model: "a",
      requests: ["req-1", "req-2"],
      drain_ms: 1003,
      msg: "a: paused 2 request(s) after 1.0s of drain: req-1, req-2",
    });
    expect(lines[1]).toMatchObject({ request_id: "req-1", paused_ms: 4200, preemptions: 1 });
    expect(lines[2]).toMatchObject({ paused: [{ model: "a", requests: ["req-1", "req-2"] }] });
    expect(String(lines[2]?.msg)).toContain("paused req-1, req-2");
  });
});
