import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { readEvents, simPids, type SimLogEvent } from "./sim-log.js";

/** The built binary under test (`pnpm build` makes it). */
export const llmuxBinPath = fileURLToPath(new URL("../../../../packages/cli/dist/cli.js", import.meta.url));

export interface ModelSpec {
  name: string;
  sleepLevel: 1 | 2 | 3;
  /** `--sim-*` words for this model's simulator. */
  simArgs?: string[];
  env?: Record<string, string>;
  gpuMemoryUtilization?: number;
  /** More fields of this model's config entry. */
  config?: Record<string, unknown>;
}

export interface RunOptions {
  models: ModelSpec[];
  /** Merged over the generated config's `policy`. */
  policy?: Record<string, unknown>;
  /** Merged over the generated config's `proxy`. */
  proxy?: Record<string, unknown>;
  /** Serve metrics on a free port (default: off). */
  metrics?: boolean;
  /** Run the models through the chaos wrapper (start-up faults from flag files). */
  chaosWrapper?: boolean;
}

/**
 * One llmux under test: a temp folder (config, state file, simulated GPU,
 * event log), the built binary as a child process, and the simulators it
 * starts. `stop()` shuts llmux down with SIGTERM and then makes sure no
 * simulator it started is left; call it in `finally`/`afterAll`.
 */
export class LlmuxRun {
  readonly dir: string;
  readonly eventLog: string;
  readonly simStateDir: string;
  readonly flagDir: string;
  readonly modelPorts = new Map<string, number>();
  config: Record<string, unknown> = {};
  child: ChildProcess | undefined;
  url = "";
  metricsUrl: string | undefined;
  stdout = "";
  stderr = "";
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private stopped: Promise<StopResult> | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "llmux-reliability-"));
    this.eventLog = join(this.dir, "events.jsonl");
    this.simStateDir = join(this.dir, "gpu");
    this.flagDir = join(this.dir, "flags");
  }

  /** Write the config and start llmux; resolves once it listens. */
  async start(options: RunOptions): Promise<void> {
    const models: Record<string, unknown> = {};
    // freePort() closes the port it found, so two calls can return the same one: keep them distinct.
    const taken = new Set<number>();
    const distinctPort = async (): Promise<number> => {
      for (;;) {
        const port = await freePort();
        if (!taken.has(port)) {
          taken.add(port);
          return port;
        }
      }
    };
    for (const model of options.models) {
      const port = await distinctPort();
      this.modelPorts.set(model.name, port);
      models[model.name] = {
        model_path: `org/${model.name}`,
        port,
        sleep_level: model.sleepLevel,
        startup_timeout_secs: 60,
        gpu_memory_utilization: model.gpuMemoryUtilization ?? 0.9,
        extra_args: model.simArgs ?? [],
        env: {
          VLLM_SIM_STATE_DIR: this.simStateDir,
          VLLM_SIM_EVENT_LOG: this.eventLog,
          VLLM_SIM_CONTROL: "1",
          RELIABILITY_FLAG_DIR: this.flagDir,
          ...model.env,
        },
        ...model.config,
      };
    }
    this.config = {
      port: await distinctPort(),
      host: "127.0.0.1",
      metrics_host: "127.0.0.1",
      metrics_port: options.metrics === true ? await distinctPort() : 0,
      vllm_command: options.chaosWrapper === true ? this.writeChaosWrapper() : simBinPath,
      models,
      policy: { request_timeout_secs: 60, stop_grace_secs: 2, min_active_secs: 0, ...options.policy },
      proxy: { shutdown_grace_secs: 5, ...options.proxy },
    };
    const configPath = join(this.dir, "config.json");
    writeFileSync(configPath, JSON.stringify(this.config, null, 2));
    const child = spawn(process.execPath, [llmuxBinPath, "--config", configPath, "--log-format", "json", "--log-level", "warn"], {
      env: { ...process.env, LLMUX_STATE_FILE: join(this.dir, "state.json") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exit = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout = keepTail(this.stdout + chunk);
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = keepTail(this.stderr + chunk);
    });
    this.url = `http://127.0.0.1:${String(this.config["port"])}`;
    if (options.metrics === true) this.metricsUrl = `http://127.0.0.1:${String(this.config["metrics_port"])}`;
    await this.waitHealthy(60_000);
  }

  /** The simulator port of `model` (for its `/_sim/*` control routes). */
  simUrl(model: string): string {
    const port = this.modelPorts.get(model);
    if (port === undefined) throw new Error(`no model ${model}`);
    return `http://127.0.0.1:${port}`;
  }

  /** Resolve once `GET /health` answers 200; fail if llmux exits first. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null || this.child.signalCode !== null) break;
      try {
        const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(50);
    }
    throw new Error(`llmux not healthy; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
  }

  /** The RSS of the llmux process in KiB (Linux), or undefined. */
  rssKib(): number | undefined {
    const pid = this.child?.pid;
    if (pid === undefined) return undefined;
    try {
      const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      return match?.[1] === undefined ? undefined : Number(match[1]);
    } catch {
      return undefined;
    }
  }

  /**
   * SIGTERM llmux (SIGKILL after 30 s), then report which simulators outlived
   * it (they are killed so nothing is left behind either way). Idempotent.
   */
  stop(): Promise<StopResult> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<StopResult> {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const child = this.child;
    if (child !== undefined && this.exit !== undefined) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      exit = await this.exit;
      clearTimeout(timer);
    }
    // llmux stopped its process groups before exiting; give the kernel a moment to reap them.
    const pids = simPids(this.eventLog);
    const leftBehind = await waitGone(pids, 5_000);
    for (const pid of leftBehind) killGroup(pid);
    await waitGone(leftBehind, 5_000);
    // The log outlives its folder: checks run after the shutdown too.
    const events = readEvents(this.eventLog);
    rmSync(this.dir, { recursive: true, force: true });
    return { exit, simPids: pids, leftBehind, events };
  }

  /**
   * A `vllm_command` that runs the simulator in its own process after reading
   * one-shot flag files: `<flagDir>/<model>.fail-start` makes that start fail,
   * `<model>.slow-start` makes it slow. Config values still reach it as argv
   * items only; the script adds words, it never builds a command line.
   */
  private writeChaosWrapper(): string {
    const path = join(this.dir, "vllm-sim-chaos.mjs");
    const script = `#!${process.execPath}
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
const args = process.argv.slice(2);
const nameAt = args.indexOf("--served-model-name");
const name = nameAt === -1 ? "" : args[nameAt + 1];
const dir = process.env.RELIABILITY_FLAG_DIR;
function take(flag) {
  if (!dir || !name) return false;
  const file = join(dir, name + "." + flag);
  if (!existsSync(file)) return false;
  try { rmSync(file); return true; } catch { return false; }
}
if (take("fail-start")) args.push("--sim-fail-startup", "reliability: injected start-up failure");
if (take("slow-start")) args.push("--sim-startup-ms", "2500");
process.argv.splice(2, process.argv.length - 2, ...args);
await import(${JSON.stringify(simBinPath)});
`;
    writeFileSync(path, script);
    chmodSync(path, 0o755);
    return path;
  }
}

export interface StopResult {
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  simPids: number[];
  /** Simulator pids still alive after llmux exited (each is a failure). */
  leftBehind: number[];
  /** The simulators' event log as it was after the shutdown. */
  events: SimLogEvent[];
}

function keepTail(text: string): string {
  return text.length > 200_000 ? text.slice(-200_000) : text;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  // A zombie has exited; only its parent's wait is missing.
  try {
    const state = /State:\s+(\S)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return state !== "Z";
  } catch {
    return false;
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = left.filter(alive);
  }
  return left;
}

/** SIGKILL a simulator's process group (vllm-client starts each in its own), or the pid alone. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
