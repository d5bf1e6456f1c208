import { readFileSync } from "node:fs";
import { LlmuxError } from "@llmux/types";
import { describe, expect, it } from "vitest";
import * as errors from "./errors.js";

describe("error catalogue", () => {
  it("the README lists exactly the codes of the catalogue", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.split("## Error codes")[1]?.split("\n## ")[0] ?? "";
    const listed = [...section.matchAll(/^\| `(LLMUX_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...errors.CORE_ERROR_CODES].sort());
  });

  it("every error class is an LlmuxError with its code and HTTP status", () => {
    const samples = [
      [new errors.UnknownModelError("m", ["a"]), "LLMUX_ERR_UNKNOWN_MODEL", 404],
      [new errors.QueueTimeoutError("m", 1000), "LLMUX_ERR_QUEUE_TIMEOUT", 504],
      [errors.requestAbortedError("m"), "LLMUX_ERR_ABORTED", 499],
      [new errors.ModelStartFailedError("m", new Error("x")), "LLMUX_ERR_MODEL_START_FAILED", 503],
      [new errors.ModelBackoffError("m", 5, new Error("x")), "LLMUX_ERR_MODEL_BACKOFF", 503],
      [new errors.EngineCrashedError("m", "exit code 1"), "LLMUX_ERR_ENGINE_CRASHED", 502],
      [new errors.PreemptedError("m", "r"), "LLMUX_ERR_PREEMPTED", 503],
      [new errors.RequestPausedError("m", 2), "LLMUX_ERR_REQUEST_PAUSED", 503],
      [new errors.SwitchFailedError("m", new Error("x")), "LLMUX_ERR_SWITCH_FAILED", 503],
      [new errors.ShuttingDownError(), "LLMUX_ERR_SHUTTING_DOWN", 503],
      [new errors.DoesNotFitError("m", "d"), "LLMUX_ERR_DOES_NOT_FIT", 503],
      [new errors.OverloadedError("m", "d", 3), "LLMUX_ERR_OVERLOADED", 429],
      [new errors.ConfigError([{ path: "port", message: "bad" }]), "LLMUX_ERR_CONFIG", undefined],
    ] as const;
    expect(samples.map(([, code]) => code).sort()).toEqual([...errors.CORE_ERROR_CODES].sort());
    for (const [error, code, status] of samples) {
      expect(error).toBeInstanceOf(LlmuxError);
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
    }
  });

  it("start failures quote the engine's last log lines; backoff carries Retry-After", () => {
    const cause = Object.assign(new Error("exited with code 1"), { lastLines: ["line 1", "ValueError: Free memory on device"] });
    const error = new errors.ModelStartFailedError("qwen", new Error("wrapped", { cause }));
    expect(error.message).toContain("Last log lines:\nline 1\nValueError: Free memory on device");
    expect(new errors.ModelBackoffError("qwen", 7, cause).retryAfterSecs).toBe(7);
    expect(new errors.ShuttingDownError().retryAfterSecs).toBeGreaterThan(0);
  });
});
