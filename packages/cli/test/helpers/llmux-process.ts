import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, simBinPath, simEventPids } from "@llmux/vllm-sim/testing";
import { isAlive, isGroupAlive, listPids, readCommandLine } from "../../src/proc-info.js";
import { reapOrphans } from "../../src/reaper.js";
import { StateFile } from "../../src/state-file.js";

/** The built binary under test (`pnpm -F @llmux/cli build`). */
export const llmuxBinPath = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** A temp folder per test: config, state file, simulated GPU, event log. */
export interface Workspace {
  dir: string;
  configPath: string;
  stateFile: string;
  simStateDir: string;
  eventLog: string;
  /** Every llmux this workspace started (for cleanup). */
  processes: LlmuxProcess[];
  cleanup(): Promise<void>;
}

export function createWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "llmux-cli-e2e-"));
  const workspace: Workspace = {
    dir,
    configPath: join(dir, "config.json"),
    stateFile: join(dir, "state.json"),
    simStateDir: join(dir, "gpu"),
    eventLog: join(dir, "events.jsonl"),
    processes: [],
    cleanup: async () => {
      for (const llmux of workspace.processes) await llmux.kill();
      // Whatever llmux recorded and did not stop (a test that SIGKILLed it on purpose, or a bug).
      try {
        const content = StateFile.read(workspace.stateFile);
        if (content !== undefined) await reapOrphans(content, { graceMs: 2_000 });
      } catch {
        // No readable record: nothing recorded.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return workspace;
}

/** A config with `count` simulated models (`m1`, `m2`, …) on free ports. */
export async function simConfig(
  workspace: Workspace,
  models: Array<{ name: string; sleepLevel: 1 | 2 | 3; env?: Record<string, string> }>,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const entries: Record<string, unknown> = {};
  for (const model of models) {
    entries[model.name] = {
      model_path: `org/${model.name}`,
      port: await freePort(),
      sleep_level: model.sleepLevel,
      startup_timeout_secs: 60,
      env: { VLLM_SIM_STATE_DIR: workspace.simStateDir, VLLM_SIM_EVENT_LOG: workspace.eventLog, ...model.env },
    };
  }
  return {
    port: await freePort(),
    host: "127.0.0.1",
    metrics_port: 0,
    vllm_command: simBinPath,
    models: entries,
    ...extra,
    // These tests switch on purpose; the anti-thrash default would only slow them.
    policy: { min_active_secs: 0, ...(extra["policy"] as Record<string, unknown> | undefined) },
  };
}

export function writeConfig(workspace: Workspace, config: unknown): string {
  writeFileSync(workspace.configPath, JSON.stringify(config, null, 2));
  return workspace.configPath;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A running `llmux` child process with its JSON log lines. */
export class LlmuxProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [llmuxBinPath, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const part of parts) {
        try {
          this.lines.push(JSON.parse(part) as LogLine);
        } catch {
          // Not a log line (the demo's instructions).
        }
      }
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = once(this.child, "exit").then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Wait for a log line matching `predicate` (or fail with the output so far). */
  async waitForLine(predicate: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.lines.find(predicate);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) break;
      await sleep(25);
    }
    throw new Error(`log line not seen; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
  }

  /** Resolves with the proxy's URL once llmux listens. */
  async listening(timeoutMs = 60_000): Promise<string> {
    const line = await this.waitForLine((entry) => entry.msg.startsWith("llmux listening"), timeoutMs);
    return line["url"] as string;
  }

  /** SIGTERM, then SIGKILL if it does not exit within `graceMs`. */
  async kill(graceMs = 20_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function startLlmuxProcess(workspace: Workspace, args: string[], env: NodeJS.ProcessEnv = {}): LlmuxProcess {
  const llmux = new LlmuxProcess(args, { LLMUX_STATE_FILE: workspace.stateFile, ...env });
  workspace.processes.push(llmux);
  return llmux;
}

/** The pids of every simulator that wrote to the workspace's event log. */
export async function simPids(workspace: Workspace): Promise<number[]> {
  return simEventPids(workspace.eventLog);
}

/** Wait until none of `pids` (each a group leader) has a live process. */
export async function waitAllGone(pids: number[], timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids;
  while (Date.now() < deadline) {
    alive = pids.filter((pid) => isAlive(pid) || isGroupAlive(pid));
    if (alive.length === 0) return [];
    await sleep(50);
  }
  return alive;
}

/** A non-streaming chat request; resolves with the status and parsed body. */
export async function chat(url: string, model: string, maxTokens = 5): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }], max_tokens: maxTokens }),
    signal: AbortSignal.timeout(120_000),
  });
  return { status: response.status, body: await response.json() };
}

/** Live simulator processes serving on `port` (found by command line, for processes that never got to log). */
export function simPidsOnPort(port: number): number[] {
  return listPids().filter((pid) => {
    const argv = readCommandLine(pid) ?? [];
    const index = argv.indexOf("--port");
    return argv.some((item) => item.endsWith("vllm-sim/dist/cli.js")) && argv[index + 1] === String(port) && isAlive(pid);
  });
}

/**
 * Two simulated models for pause-and-resume tests: m1 generates at 40 tokens/s
 * and a switch pauses it after 0.2 s of drain; m2 takes `m2StartupMs` to start,
 * which is how long m1's requests stay paused.
 */
export function pausingConfig(workspace: Workspace, m2StartupMs: number, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const fast = { VLLM_SIM_SLEEP1_MS: "50", VLLM_SIM_WAKE1_MS: "50", VLLM_SIM_STARTUP_MS: "100" };
  return simConfig(
    workspace,
    [
      { name: "m1", sleepLevel: 1, env: { ...fast, VLLM_SIM_TOKENS_PER_SEC: "40" } },
      { name: "m2", sleepLevel: 1, env: { ...fast, VLLM_SIM_STARTUP_MS: String(m2StartupMs) } },
    ],
    { ...extra, policy: { max_drain_secs: 0.2, ...(extra["policy"] as Record<string, unknown> | undefined) } },
  );
}

/** POST a chat request with `body`'s fields (messages default to one user turn); the response as fetch gives it. */
export function postChat(url: string, model: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "tell a long story" }], ...body }),
    signal: AbortSignal.timeout(60_000),
  });
}
