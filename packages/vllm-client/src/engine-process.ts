import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import type { EngineExit } from "@llmux/types";
import { EngineExitedError, EngineStoppedError, StartFailedError } from "./errors.js";
import type { LineBuffer } from "./line-buffer.js";
import { signalGroup, waitGroupGone } from "./process-group.js";

export type LogStream = "stdout" | "stderr";

export interface EngineProcessHooks {
  onLog(line: string, stream: LogStream): void;
  onExit(exit: EngineExit): void;
}

/** How long to wait for the child's pipes to close after it exited, so the last lines are complete. */
const PIPE_DRAIN_MS = 500;

/**
 * One spawned engine process, leader of its own process group: its log lines,
 * its exit, and a stop that leaves no member of the group behind.
 */
export class EngineProcess {
  readonly pid: number;
  readonly argv: readonly string[];
  /** Aborted (reason: EngineStoppedError or EngineExitedError) when stopping starts or the process exits; cuts calls in flight. */
  readonly ended = new AbortController();
  /** Resolves once the process exited and its output was read. */
  readonly exited: Promise<EngineExit>;
  #exit: EngineExit | undefined;
  #stopRequested = false;
  #stopping: Promise<void> | undefined;

  private constructor(child: ChildProcess, pid: number, argv: readonly string[], lines: LineBuffer, hooks: EngineProcessHooks) {
    this.pid = pid;
    this.argv = argv;
    child.on("error", () => {
      // Errors after a successful spawn (a failed kill) surface through exit or stop; never crash the host.
    });
    const pipesClosed = Promise.all([readLines(child, "stdout", lines, hooks), readLines(child, "stderr", lines, hooks)]);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        // The last lines may still be in the pipes; a lingering grandchild can keep them open, so wait only a little.
        void Promise.race([pipesClosed, delay(PIPE_DRAIN_MS)]).then(() => {
          const exit: EngineExit = { code, signal, expected: this.#stopRequested, lastLines: lines.lastLines() };
          this.#exit = exit;
          if (!this.#stopRequested) {
            // The leader died on its own; vLLM's EngineCore/worker children may still hold the GPU.
            signalGroup(pid, "SIGKILL");
          }
          if (!this.ended.signal.aborted) this.ended.abort(exitReason(exit));
          hooks.onExit(exit);
          resolve(exit);
        });
      });
    });
  }

  /**
   * Spawns `command args` without a shell, detached (its own process group),
   * stdin ignored, stdout/stderr piped. Rejects with `LLMUX_ERR_START_FAILED`
   * when the executable cannot be spawned.
   */
  static async spawn(
    command: string,
    args: readonly string[],
    env: Record<string, string>,
    lines: LineBuffer,
    hooks: EngineProcessHooks,
  ): Promise<EngineProcess> {
    const child = spawn(command, [...args], { detached: true, stdio: ["ignore", "pipe", "pipe"], env });
    if (child.pid === undefined) {
      const cause = await new Promise<unknown>((resolve) => child.once("error", resolve));
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new StartFailedError(`could not spawn ${command}: ${detail}`, { cause });
    }
    return new EngineProcess(child, child.pid, [command, ...args], lines, hooks);
  }

  /** Set once the process exited. */
  get exit(): EngineExit | undefined {
    return this.#exit;
  }

  /** True once `stop()` or `kill()` was called. */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /**
   * `signal` to the group (SIGTERM, or SIGKILL for a forced stop), SIGKILL
   * after `graceMs`; resolves once the leader exited and the group is gone.
   * Idempotent: later calls get the first call's promise (a SIGKILL is still sent).
   */
  stop(graceMs: number, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    if (this.#exit === undefined && signal === "SIGKILL") {
      this.#stopRequested = true;
      signalGroup(this.pid, "SIGKILL");
    }
    this.#stopping ??= this.#terminate(graceMs, signal);
    return this.#stopping;
  }

  async #terminate(graceMs: number, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    if (this.#exit === undefined) {
      this.#stopRequested = true;
      if (!this.ended.signal.aborted) this.ended.abort(new EngineStoppedError("engine is being stopped"));
      signalGroup(this.pid, signal);
      const killTimer = setTimeout(() => signalGroup(this.pid, "SIGKILL"), graceMs);
      try {
        await this.exited;
      } finally {
        clearTimeout(killTimer);
      }
    }
    // The leader is gone; members of its group may not be (and would still hold GPU memory).
    await waitGroupGone(this.pid, this.#stopRequested ? graceMs : 0);
  }
}

function readLines(child: ChildProcess, stream: LogStream, lines: LineBuffer, hooks: EngineProcessHooks): Promise<void> {
  const source = child[stream];
  if (source === null) return Promise.resolve();
  return new Promise((resolve) => {
    source.on("data", (chunk: Buffer) => {
      for (const line of lines.push(stream, chunk)) hooks.onLog(line, stream);
    });
    source.once("close", () => {
      for (const line of lines.end(stream)) hooks.onLog(line, stream);
      resolve();
    });
  });
}

function exitReason(exit: EngineExit): Error {
  if (exit.expected) return new EngineStoppedError();
  return new EngineExitedError(`engine exited unexpectedly (${describeExit(exit.code, exit.signal)})`, {
    exitCode: exit.code,
    signal: exit.signal,
    lastLines: exit.lastLines,
  });
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `signal ${signal}` : `code ${code}`;
}
