import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { readSimEvents, simEventPids, type SimEvent } from "@llmux/vllm-sim/testing";
import { descendants, isAlive, isGroupAlive } from "../proc-info.js";
import { reapOrphans } from "../reaper.js";
import { StateFile } from "../state-file.js";
import { type ExitStatus, LlmuxProcess, type LlmuxProcessOptions } from "./llmux-process.js";

export interface ServeOptions extends LlmuxProcessOptions {
  /** `--log-level` (default `info`: the switch and listening lines are info). */
  logLevel?: string;
  /** How long `/health` may take to answer 200 (default 60 s). */
  readyTimeoutMs?: number;
}

/** What a workspace's shutdown found. */
export interface CleanupReport {
  /** How the last llmux started here exited (undefined when none was). */
  exit: ExitStatus | undefined;
  /** Every simulator that wrote to the event log, and every process llmux had when it was stopped. */
  simPids: number[];
  /** Those still alive after llmux exited (each is a failure; they are killed either way). */
  leftBehind: number[];
  /** The simulators' event log as it was after the shutdown. */
  events: SimEvent[];
}

/**
 * A temp folder for one llmux under test: config, state file, simulated GPU
 * and the simulators' event log, and every llmux started in it. `cleanup()`
 * stops them, reports and kills whatever they left, and removes the folder;
 * call it in `finally`/`afterEach`.
 */
export class Workspace {
  readonly dir: string;
  readonly configPath: string;
  readonly stateFile: string;
  readonly simStateDir: string;
  readonly eventLog: string;
  readonly processes: LlmuxProcess[] = [];
  #cleaned: Promise<CleanupReport> | undefined;

  constructor(prefix = "llmux-test") {
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    this.configPath = join(this.dir, "config.json");
    this.stateFile = join(this.dir, "state.json");
    this.simStateDir = join(this.dir, "gpu");
    this.eventLog = join(this.dir, "events.jsonl");
  }

  writeConfig(config: unknown): string {
    writeFileSync(this.configPath, JSON.stringify(config, null, 2));
    return this.configPath;
  }

  /** Start the binary with `args`, its state file in this workspace. */
  start(args: string[], options: LlmuxProcessOptions = {}): LlmuxProcess {
    const llmux = new LlmuxProcess(args, { ...options, env: { LLMUX_STATE_FILE: this.stateFile, ...options.env } });
    this.processes.push(llmux);
    return llmux;
  }

  /**
   * Write `config` (its `port` must be a number other than 0), start llmux on
   * it with JSON logs, and resolve with the process and its URL once
   * `/health` answers 200.
   */
  async serve(config: Record<string, unknown>, options: ServeOptions = {}): Promise<{ llmux: LlmuxProcess; url: string }> {
    const port = config["port"];
    if (typeof port !== "number" || port === 0) throw new Error("serve() needs a fixed port in the config");
    const host = typeof config["host"] === "string" ? config["host"] : "127.0.0.1";
    const url = `http://${host}:${port}`;
    const args = ["--config", this.writeConfig(config), "--log-format", "json", "--log-level", options.logLevel ?? "info"];
    const llmux = this.start(args, options);
    try {
      await llmux.waitHealthy(url, options.readyTimeoutMs);
    } catch (error) {
      await llmux.stop(5_000);
      throw error;
    }
    return { llmux, url };
  }

  /** The simulators' event log so far (the simulator's own reader). */
  events(): SimEvent[] {
    return readSimEvents(this.eventLog);
  }

  /** The pid of every simulator that wrote to the event log. */
  simPids(): number[] {
    return simEventPids(this.eventLog);
  }

  /** Stop every llmux (SIGTERM, SIGKILL after `graceMs`), check what is left, remove the folder. Idempotent. */
  cleanup(graceMs = 20_000): Promise<CleanupReport> {
    this.#cleaned ??= this.#cleanup(graceMs);
    return this.#cleaned;
  }

  async #cleanup(graceMs: number): Promise<CleanupReport> {
    // Remember the trees before the parents go: orphans are re-parented and would be lost.
    const children = this.processes.flatMap((llmux) => (llmux.running ? descendants(llmux.pid) : []));
    let exit: ExitStatus | undefined;
    for (const llmux of this.processes) exit = await llmux.stop(graceMs);
    const simPids = [...new Set([...this.simPids(), ...children])];
    // llmux stopped its process groups before exiting; give the kernel a moment to reap them.
    const leftBehind = await waitGone(simPids, 5_000);
    for (const pid of leftBehind) killGroup(pid);
    await waitGone(leftBehind, 5_000);
    // Whatever llmux recorded and did not stop (a test that SIGKILLed it on purpose, or a bug).
    try {
      const content = StateFile.read(this.stateFile);
      if (content !== undefined) await reapOrphans(content, { graceMs: 2_000 });
    } catch {
      // No readable record: nothing recorded.
    }
    // The log outlives its folder: checks run after the shutdown too.
    const events = this.events();
    rmSync(this.dir, { recursive: true, force: true });
    return { exit, simPids, leftBehind, events };
  }
}

/** Wait until none of `pids` (each a process or group leader) has a live process; resolves with those still alive. */
export async function waitGone(pids: number[], timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids;
  for (;;) {
    alive = alive.filter((pid) => isAlive(pid) || isGroupAlive(pid));
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await sleep(50);
  }
}

/** SIGKILL a process group (vllm-client starts each engine in its own), or the pid alone. */
function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
      return;
    } catch {
      // Not a group leader, or already gone.
    }
  }
}
