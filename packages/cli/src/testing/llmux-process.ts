import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * The built binary (`pnpm build` makes it). This module sits two folders
 * below the package root both as source (`src/testing/`) and built
 * (`dist/testing/`, bundled into the testing entry), so one path serves both.
 */
export const llmuxBinPath: string = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** One JSON log line of llmux (`--log-format json`). */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LlmuxProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** Node flags before the script (`--cpu-prof`). */
  nodeArgs?: string[];
  cwd?: string;
  /** Lead a process group of its own, so a terminal's Ctrl-C reaches only the caller. */
  detached?: boolean;
  /** Called with every non-empty line llmux prints, stdout and stderr. */
  onLine?: (line: string) => void;
}

/** Raw output kept for error messages and checks; a long run keeps its end. */
const KEEP_CHARS = 1_000_000;

/** A running `llmux` child process, its output and its JSON log lines. */
export class LlmuxProcess {
  readonly child: ChildProcess;
  /** Every JSON log line, in order, for the life of the process (readers keep an index into it). */
  readonly lines: LogLine[] = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<ExitStatus>;
  #stopping: Promise<ExitStatus> | undefined;

  constructor(args: string[], options: LlmuxProcessOptions = {}) {
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), llmuxBinPath, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      detached: options.detached === true,
    });
    const onLine = options.onLine;
    this.#collect("stdout", (line) => {
      onLine?.(line);
      if (!line.startsWith("{")) return;
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        // Not a log line (the demo's instructions).
      }
    });
    this.#collect("stderr", (line) => onLine?.(line));
    this.exited = once(this.child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  #collect(stream: "stdout" | "stderr", onLine: (line: string) => void): void {
    let partial = "";
    this.child[stream]?.setEncoding("utf8").on("data", (chunk: string) => {
      this[stream] = keepEnd(this[stream] + chunk);
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const part of parts) if (part.trim() !== "") onLine(part);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The end of what llmux printed, for error messages. */
  tail(chars = 8_000): string {
    return `stdout:\n${this.stdout.slice(-chars)}\nstderr:\n${this.stderr.slice(-chars)}`;
  }

  /** Wait for a log line matching `predicate`, or fail with the output so far. */
  async waitForLine(predicate: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.lines.find(predicate);
      if (found !== undefined) return found;
      if (!this.running) break;
      await sleep(25);
    }
    throw new Error(`log line not seen; ${this.tail()}`);
  }

  /** The proxy's URL once llmux logs that it listens (log level info or finer). */
  async listening(timeoutMs = 60_000): Promise<string> {
    const line = await this.waitForLine((entry) => entry.msg.startsWith("llmux listening"), timeoutMs);
    return line["url"] as string;
  }

  /** Resolve once `GET <url>/health` answers 200; fail if llmux exits first or time runs out. */
  async waitHealthy(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer";
    while (Date.now() < deadline && this.running) {
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
        last = `status ${response.status}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(25);
    }
    const why = this.running ? `not healthy after ${timeoutMs} ms (${last})` : "exited before it was healthy";
    throw new Error(`llmux ${why}; ${this.tail()}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Idempotent. */
  stop(graceMs = 20_000): Promise<ExitStatus> {
    this.#stopping ??= (async () => {
      if (this.running) this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      const status = await this.exited;
      clearTimeout(timer);
      return status;
    })();
    return this.#stopping;
  }
}

function keepEnd(text: string): string {
  return text.length > KEEP_CHARS ? text.slice(-KEEP_CHARS) : text;
}
