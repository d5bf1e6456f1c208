import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CleanupReport, type ExitStatus, type SimModelSpec, Workspace, simConfig } from "@llmux/cli/testing";
import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { Agent } from "undici";
import { afterAll, expect } from "vitest";

export interface ModelSpec extends SimModelSpec {
  gpuMemoryUtilization?: number;
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

/** What a run's shutdown found (see `Workspace.cleanup`). */
export type StopResult = CleanupReport;

/**
 * One llmux under test, on the shared harness (`@llmux/cli/testing`): the
 * suite's defaults (short graces and timeouts, the simulators' control
 * routes on, a chaos wrapper on demand) over its workspace. `stop()` shuts
 * llmux down and reports any simulator left; call it in `finally`/`afterAll`.
 */
export class LlmuxRun {
  readonly workspace = new Workspace("llmux-reliability");
  readonly dir = this.workspace.dir;
  readonly eventLog = this.workspace.eventLog;
  readonly flagDir = join(this.dir, "flags");
  readonly modelPorts = new Map<string, number>();
  config: Record<string, unknown> = {};
  url = "";
  metricsUrl: string | undefined;

  /** How the llmux process ended (undefined before `start`). */
  get exit(): Promise<ExitStatus> | undefined {
    return this.workspace.processes.at(-1)?.exited;
  }

  /** Write the config and start llmux; resolves once `/health` answers 200. */
  async start(options: RunOptions): Promise<void> {
    const models = options.models.map((model) => ({
      ...model,
      env: { VLLM_SIM_CONTROL: "1", RELIABILITY_FLAG_DIR: this.flagDir, ...model.env },
      config: { gpu_memory_utilization: model.gpuMemoryUtilization ?? 0.9, extra_args: model.simArgs ?? [], ...model.config },
    }));
    const metricsPort = options.metrics === true ? await freePort() : 0;
    this.config = await simConfig(this.workspace, models, {
      metrics_host: "127.0.0.1",
      metrics_port: metricsPort,
      ...(options.chaosWrapper === true ? { vllm_command: this.writeChaosWrapper() } : {}),
      policy: { request_timeout_secs: 60, stop_grace_secs: 2, ...options.policy },
      proxy: { shutdown_grace_secs: 5, ...options.proxy },
    });
    for (const [name, entry] of Object.entries(this.config["models"] as Record<string, { port: number }>)) this.modelPorts.set(name, entry.port);
    if (options.metrics === true) this.metricsUrl = `http://127.0.0.1:${String(metricsPort)}`;
    this.url = (await this.workspace.serve(this.config, { logLevel: "warn" })).url;
  }

  /** The simulator port of `model` (for its `/_sim/*` control routes). */
  simUrl(model: string): string {
    const port = this.modelPorts.get(model);
    if (port === undefined) throw new Error(`no model ${model}`);
    return `http://127.0.0.1:${port}`;
  }

  /** The RSS of the llmux process in KiB (Linux), or undefined. */
  rssKib(): number | undefined {
    const pid = this.workspace.processes.at(-1)?.pid;
    if (pid === undefined) return undefined;
    try {
      const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      return match?.[1] === undefined ? undefined : Number(match[1]);
    } catch {
      return undefined;
    }
  }

  /** SIGTERM llmux (SIGKILL after 30 s), then report which simulators outlived it (killed either way). Idempotent. */
  stop(): Promise<StopResult> {
    return this.workspace.cleanup(30_000);
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

/**
 * A run and a client for one test file: after the file's tests the client
 * closes and llmux stops, and the file fails if a simulator outlived it.
 */
export function useRun(connections = 8): { run: LlmuxRun; agent: Agent } {
  const run = new LlmuxRun();
  const agent = new Agent({ connections });
  afterAll(async () => {
    await agent.close();
    expect((await run.stop()).leftBehind).toEqual([]);
  });
  return { run, agent };
}
