import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive, isGroupAlive, listPids, readCommandLine, readProcessGroup, readStartTime } from "./proc-info.js";
import { reapOrphans } from "./reaper.js";
import type { ProcessRecord, StateFileContent } from "./state-file.js";

/**
 * Real detached process groups stand in for a crashed llmux's vLLM servers.
 * Each test kills whatever it started, also on failure.
 */
const started: number[] = [];
afterEach(() => {
  for (const pgid of started.splice(0)) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

async function spawnGroup(script: string, extra: string[] = []): Promise<{ child: ChildProcess; argv: string[] }> {
  const argv = [process.execPath, "-e", script, "llmux-reaper-test", ...extra];
  const child = spawn(argv[0] ?? "", argv.slice(1), { detached: true, stdio: ["ignore", "pipe", "ignore"] });
  if (child.pid === undefined) throw new Error("spawn failed");
  started.push(child.pid);
  child.unref();
  // Wait for the script to say it is ready (its handlers are installed).
  await once(child.stdout!, "data");
  return { child, argv };
}

function recordOf(pid: number, argv: string[], overrides: Partial<ProcessRecord> = {}): ProcessRecord {
  const startTime = readStartTime(pid);
  return { model: "m", pid, pgid: pid, argv, ...(startTime === undefined ? {} : { startTime }), recordedAt: Date.now(), ...overrides };
}

function content(processes: ProcessRecord[]): StateFileContent {
  return { version: 1, owner: { pid: 1 }, processes };
}

async function waitGone(pgid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isGroupAlive(pgid)) return true;
    await sleep(50);
  }
  return false;
}

describe.runIf(process.platform === "linux")("reapOrphans", () => {
  it("terminates a recorded group whose leader still matches", async () => {
    const { child, argv } = await spawnGroup("setInterval(() => {}, 1000); console.log('ready')");
    const pid = child.pid!;
    const [outcome] = await reapOrphans(content([recordOf(pid, argv)]), { graceMs: 5_000 });
    expect(outcome?.action).toBe("terminated");
    expect(await waitGone(pid)).toBe(true);
  });

  it("SIGKILLs a group that ignores SIGTERM after the grace period", async () => {
    const { child, argv } = await spawnGroup("process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready')");
    const pid = child.pid!;
    const [outcome] = await reapOrphans(content([recordOf(pid, argv)]), { graceMs: 300 });
    expect(outcome?.action).toBe("killed");
    expect(await waitGone(pid)).toBe(true);
  });

  it("leaves alone a process whose command line or start time differ from the record", async () => {
    const { child, argv } = await spawnGroup("setInterval(() => {}, 1000); console.log('ready')");
    const pid = child.pid!;
    const otherArgv = [...argv.slice(0, -1), "something-else"];
    const wrongStart = String(Number(readStartTime(pid)) + 1);
    const outcomes = await reapOrphans(content([recordOf(pid, otherArgv), recordOf(pid, argv, { startTime: wrongStart })]), { graceMs: 300 });
    expect(outcomes.map((outcome) => outcome.action)).toEqual(["mismatch", "mismatch"]);
    await sleep(200);
    expect(isAlive(pid)).toBe(true);
    expect(readCommandLine(pid)).toEqual(argv);
  });

  it("reports a recorded process that is gone and touches nothing", async () => {
    const { child, argv } = await spawnGroup("console.log('ready'); setTimeout(() => {}, 10)");
    const pid = child.pid!;
    const record = recordOf(pid, argv);
    await once(child, "exit");
    expect(await waitGone(pid)).toBe(true);
    const [outcome] = await reapOrphans(content([record]), { graceMs: 300 });
    expect(outcome?.action).toBe("gone");
  });

  it("removes the socket directory a reaped engine was given, and no directory llmux did not make", async () => {
    const ours = mkdtempSync(join(tmpdir(), "llmux-"));
    const chosen = mkdtempSync(join(tmpdir(), "chosen-"));
    try {
      const script = "setInterval(() => {}, 1000); console.log('ready')";
      const live = await spawnGroup(script, ["--uds", join(ours, "vllm.sock")]);
      const gone = await spawnGroup("console.log('ready'); setTimeout(() => {}, 10)", ["--uds", join(chosen, "vllm.sock")]);
      await once(gone.child, "exit");
      expect(await waitGone(gone.child.pid!)).toBe(true);
      const outcomes = await reapOrphans(content([recordOf(live.child.pid!, live.argv), recordOf(gone.child.pid!, gone.argv)]), { graceMs: 5_000 });
      expect(outcomes.map((outcome) => outcome.action)).toEqual(["terminated", "gone"]);
      expect(existsSync(ours)).toBe(false);
      // Not named like llmux's own directories: someone else's path, left alone.
      expect(existsSync(chosen)).toBe(true);
    } finally {
      rmSync(ours, { recursive: true, force: true });
      rmSync(chosen, { recursive: true, force: true });
    }
  });

  it("stops the surviving members of a group whose leader already died", async () => {
    // The leader forks a worker into its own group (as vLLM's API server forks
    // its engine core), then exits.
    const script = [
      "const { spawn } = require('node:child_process');",
      "const worker = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'llmux-reaper-worker'], { stdio: 'ignore' });",
      "worker.unref(); console.log('ready'); setTimeout(() => process.exit(0), 100);",
    ].join("\n");
    const { child, argv } = await spawnGroup(script);
    const pid = child.pid!;
    const record = recordOf(pid, argv);
    await once(child, "exit");
    const members = listPids().filter((member) => readProcessGroup(member) === pid && isAlive(member));
    expect(members.length).toBe(1);
    const [outcome] = await reapOrphans(content([record]), { graceMs: 5_000 });
    expect(outcome?.action).toBe("terminated");
    expect(await waitGone(pid)).toBe(true);
  });
});
