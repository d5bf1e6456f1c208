import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { descendants } from "@llmux/cli/testing";
import { cpuSeconds, parseStat, rssBytes } from "./proc-stats.js";

describe("parseStat", () => {
  it("reads ppid, utime and stime after a command name with spaces and parentheses", () => {
    const text = "4242 (node (bench) x) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 11 0 1 2 3";
    expect(parseStat(text)).toEqual({ ppid: 17, utimeTicks: 250, stimeTicks: 30 });
  });
});

describe("live /proc readings", () => {
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });

  it("finds a child among our descendants and reads its RSS", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"], { stdio: "ignore" });
    if (child.pid === undefined) throw new Error("spawn failed");
    started.push(child.pid);
    expect(descendants(process.pid)).toContain(child.pid);
    // Right after spawn the child may not have exec'd node yet: wait until it has (bounded).
    for (let i = 0; i < 100 && !(rssBytes(child.pid) > 8 * 1024 * 1024); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rssBytes(child.pid)).toBeGreaterThan(8 * 1024 * 1024);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(0);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(rssBytes(child.pid)).toBeNaN();
  });
});
