import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { LLMUX_LOG, LogBook } from "@llmux/proxy";
import { createLogger, parseLogFormat, parseLogLevel } from "./logger.js";

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("createLogger", () => {
  it("writes one JSON object per line by default off a terminal, filtered by level", () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, level: "info" });
    logger.debug("hidden");
    logger.info({ model: "a" }, "switch done");
    const lines = out.text().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ level: 30, model: "a", msg: "switch done", name: "llmux" });
  });
  it("keeps its lines (JSON, at the logger's level) in a log book too, with keys redacted", () => {
    const out = capture();
    const logBook = new LogBook({ lines: 10, secrets: ["sk-configured"] });
    const logger = createLogger({ destination: out.stream, format: "pretty", level: "info", logBook });
    logger.debug("hidden");
    logger.info({ headers: { authorization: "Bearer sk-client", "x-api-key": "sk-anthropic" } }, "request");
    logger.info("a message naming sk-configured");
    const kept = logBook.lines(LLMUX_LOG);
    expect(kept).toHaveLength(2);
    expect(JSON.parse(kept[0] ?? "")).toMatchObject({ msg: "request", headers: { authorization: "[redacted]", "x-api-key": "[redacted]" } });
    expect(kept.join("\n")).not.toMatch(/sk-client|sk-anthropic|sk-configured/);
    expect(out.text()).not.toMatch(/sk-client|sk-anthropic/);
    expect(out.text()).toMatch(/INFO: request/);
  });

  it("writes pretty lines when asked", () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream, format: "pretty" });
    logger.info({ model: "a", vllm_pid: 42 }, "vLLM ready");
    logger.info({ model: "a", from: "asleep", to: "waking" }, "a: asleep -> waking");
    const [ready, state] = out.text().trim().split("\n");
    // The model labels the line once; fields the message already says are left out.
    expect(ready).toMatch(/INFO: \[a\] vLLM ready \{"vllm_pid":42\}$/);
    expect(state).toMatch(/INFO: a: asleep -> waking$/);
    expect(() => JSON.parse(out.text())).toThrow();
  });
  it("rejects unknown levels and formats with a coded error", () => {
    expect(parseLogLevel("DEBUG")).toBe("debug");
    expect(() => parseLogLevel("loud")).toThrowError(expect.objectContaining({ code: "LLMUX_ERR_CLI_USAGE" }));
    expect(() => parseLogFormat("xml")).toThrowError(expect.objectContaining({ code: "LLMUX_ERR_CLI_USAGE" }));
  });
});
