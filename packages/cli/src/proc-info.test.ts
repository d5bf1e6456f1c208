import { describe, expect, it } from "vitest";
import { commandLineMatches, isAlive, readCommandLine, readProcessGroup, readStartTime } from "./proc-info.js";

describe("commandLineMatches", () => {
  const recorded = ["vllm", "serve", "Qwen/Qwen2.5-7B", "--port", "8001"];
  it("accepts the same argv and an interpreter in front of the script", () => {
    expect(commandLineMatches(recorded, recorded)).toBe(true);
    expect(commandLineMatches(recorded, ["/usr/bin/python3", "/usr/local/bin/vllm", "serve", "Qwen/Qwen2.5-7B", "--port", "8001"])).toBe(true);
    const sim = ["/repo/packages/vllm-sim/dist/cli.js", "serve", "m", "--port", "9"];
    expect(commandLineMatches(sim, ["node", "/repo/packages/vllm-sim/dist/cli.js", "serve", "m", "--port", "9"])).toBe(true);
  });
  it("rejects other arguments, other commands and empty command lines", () => {
    expect(commandLineMatches(recorded, ["vllm", "serve", "Qwen/Qwen2.5-7B", "--port", "8002"])).toBe(false);
    expect(commandLineMatches(recorded, ["python3", "other.py", "serve", "Qwen/Qwen2.5-7B", "--port", "8001"])).toBe(false);
    expect(commandLineMatches(recorded, [])).toBe(false);
    expect(commandLineMatches([], ["vllm"])).toBe(false);
  });
});

describe.runIf(process.platform === "linux")("/proc readers", () => {
  it("read this process", () => {
    expect(readStartTime(process.pid)).toMatch(/^\d+$/);
    expect(readCommandLine(process.pid)?.[0]).toContain("node");
    expect(readProcessGroup(process.pid)).toBeTypeOf("number");
    expect(isAlive(process.pid)).toBe(true);
  });
  it("answer undefined for a pid that does not exist", () => {
    // Above the kernel's pid_max limit (2^22), so it can never exist.
    const pid = 4_194_304 + 7;
    expect(readStartTime(pid)).toBeUndefined();
    expect(readCommandLine(pid)).toBeUndefined();
    expect(isAlive(pid)).toBe(false);
  });
});
