import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { descendants } from "@llmux/cli/testing";
import { isAlive } from "./proc-stats.js";

/**
 * Every process the bench starts goes through here, so that a failure, an
 * exception or Ctrl-C still stops all of them: nginx, upstreams, llmux and
 * whatever llmux started. Each child leads its own process group.
 */
export interface Tracked {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** The last output lines, for error messages. */
  tail(): string;
  /** SIGTERM the process, wait up to `graceMs`, then SIGKILL it and every descendant it had. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Tracked>();
const tempDirs = new Set<string>();

/** A process a harness started (llmux, through `@llmux/cli/testing`), stopped here like the others. */
interface Handle {
  pid: () => number | undefined;
  stop: (graceMs: number) => Promise<unknown>;
  /** Its temp folder, removed at exit whatever happens. */
  dir?: string;
}
const handles = new Set<Handle>();

/** Have the cleanup handlers stop `handle` too; returns the call that forgets it. */
export function trackHandle(handle: Handle): () => void {
  handles.add(handle);
  if (handle.dir !== undefined) tempDirs.add(handle.dir);
  return () => {
    handles.delete(handle);
    if (handle.dir !== undefined) tempDirs.delete(handle.dir);
  };
}

/** A fresh temp folder that is removed by `removeTempDir`, or at exit whatever happens. */
export function makeTempDir(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), `llmux-bench-${prefix}-`));
  tempDirs.add(path);
  return path;
}

export function removeTempDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
  tempDirs.delete(path);
}

export function spawnTracked(name: string, command: string, args: string[], options: SpawnOptions = {}, onLine?: (line: string) => void): Tracked {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, ...options });
  if (child.pid === undefined) throw new Error(`could not start ${name}: ${command}`);
  const pid = child.pid;
  const lines: string[] = [];
  let partial = "";
  const keep = (chunk: Buffer): void => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      if (line.trim() === "") continue;
      onLine?.(line);
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  let stopping: Promise<void> | undefined;
  const tracked: Tracked = {
    name,
    child,
    pid,
    exited,
    tail: () => lines.join("\n"),
    stop(graceMs = 5000) {
      stopping ??= stopTree(pid, exited, graceMs).finally(() => live.delete(tracked));
      return stopping;
    },
  };
  live.add(tracked);
  void exited.then(() => live.delete(tracked));
  return tracked;
}

async function stopTree(pid: number, exited: Promise<unknown>, graceMs: number): Promise<void> {
  // Remember the tree before the parent goes: orphans are re-parented and would be lost.
  const tree = descendants(pid);
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  for (const target of [pid, ...tree, ...descendants(pid)]) {
    if (!isAlive(target)) continue;
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // raced with its exit
    }
  }
  // Give the tree members a moment to be reaped so `ps` after the bench is clean.
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && tree.some(isAlive)) await new Promise((resolve) => setTimeout(resolve, 20));
}

export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all([...[...live].map((tracked) => tracked.stop(graceMs)), ...[...handles].map((handle) => handle.stop(graceMs))]);
}

/** Synchronous last resort on process exit: SIGKILL whatever is left, remove the temp folders. */
function killAllNow(): void {
  for (const path of tempDirs) rmSync(path, { recursive: true, force: true });
  const pids = [...[...live].map((tracked) => tracked.pid), ...[...handles].map((handle) => handle.pid())];
  for (const pid of pids) {
    if (pid === undefined) continue;
    for (const target of [...descendants(pid), pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}

let installed = false;

/** Stop everything on Ctrl-C, SIGTERM, an uncaught error, or exit. */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal}, stopping everything it started...\n`);
    void stopAll(3000).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", killAllNow);
}
