import { afterEach, describe, expect, it } from "vitest";
import { spawnTracked, stopAll } from "./children.js";
import { descendants } from "@llmux/cli/testing";
import { isAlive } from "./proc-stats.js";

describe("spawnTracked", () => {
  afterEach(async () => {
    await stopAll(1000);
  });

  it("stops a process that ignores SIGTERM, and its children", async () => {
    const script = [
      "process.on('SIGTERM', () => {});",
      "const { spawn } = require('node:child_process');",
      "spawn(process.execPath, ['-e', \"process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)\"], { stdio: 'ignore' });",
      "console.log('up');",
      "setInterval(() => {}, 1000);",
    ].join("\n");
    const tracked = spawnTracked("stubborn", process.execPath, ["-e", script]);
    await new Promise<void>((resolve) => tracked.child.stdout?.once("data", () => resolve()));
    let grandchildren: number[] = [];
    const deadline = Date.now() + 10_000;
    while (grandchildren.length === 0 && Date.now() < deadline) {
      grandchildren = descendants(tracked.pid);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(grandchildren.length).toBe(1);
    await tracked.stop(300);
    expect(isAlive(tracked.pid)).toBe(false);
    expect(grandchildren.filter(isAlive)).toEqual([]);
  });

  it("keeps the last output lines for error messages", async () => {
    const tracked = spawnTracked("talker", process.execPath, ["-e", "console.error('boom: no port')"]);
    await tracked.exited;
    expect(tracked.tail()).toContain("boom: no port");
  });
});
