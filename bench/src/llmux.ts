import { existsSync } from "node:fs";
import { type LlmuxProcess, Workspace, llmuxBinPath } from "@llmux/cli/testing";
import type { SimEvent } from "@llmux/vllm-sim/testing";
import { trackHandle } from "./children.js";

export interface LlmuxModel {
  model_path: string;
  /** Absent: the engine listens on a Unix socket llmux creates. */
  port?: number;
  sleep_level?: 1 | 2 | 3;
  gpu_memory_utilization?: number;
  extra_args?: string[];
  env?: Record<string, string>;
}

export interface RunningLlmux {
  url: string;
  pid: number;
  /** The process with every JSON log line it printed. */
  process: LlmuxProcess;
  /** The event log of the simulators llmux started (the simulator's own reader). */
  events(): SimEvent[];
  /** Stops llmux; fails if any process it started outlived it. */
  stop(): Promise<void>;
  tail(): string;
}

export function llmuxAvailable(): boolean {
  return existsSync(llmuxBinPath);
}

export interface LlmuxOptions {
  port: number;
  vllmCommand: string;
  models: Record<string, LlmuxModel>;
  policy?: Record<string, unknown>;
  /** More top-level config fields (e.g. `metrics_on_proxy_port`). */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Default `warn`; `info` gives one JSON line per switch with its phases. */
  logLevel?: string;
  /** Every line llmux prints (JSON logs). */
  onLine?: (line: string) => void;
}

/**
 * Start the real built `llmux` binary with a temporary config, as a user
 * would, through the shared harness (`@llmux/cli/testing`). `nodeArgs` lets
 * the profiler run it under `--cpu-prof`.
 */
export async function startLlmux(options: LlmuxOptions): Promise<RunningLlmux> {
  try {
    return await startLlmuxOnce(options);
  } catch (error) {
    // Another engineer may be rebuilding packages/*/dist at this moment: one retry after a pause.
    process.stderr.write(`bench: llmux did not start (${(error as Error).message.split("\n")[0]}), retrying once\n`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return startLlmuxOnce(options);
  }
}

async function startLlmuxOnce(options: LlmuxOptions): Promise<RunningLlmux> {
  const workspace = new Workspace("llmux-bench");
  const config = {
    port: options.port,
    host: "127.0.0.1",
    metrics_port: 0,
    vllm_command: options.vllmCommand,
    vllm_logging: false,
    models: options.models,
    policy: { request_timeout_secs: 120, ...options.policy },
    ...options.config,
  };
  // Stop it on Ctrl-C or a failure elsewhere in the bench, like every other child.
  const untrack = trackHandle({ pid: () => workspace.processes[0]?.pid, stop: (graceMs) => workspace.cleanup(graceMs), dir: workspace.dir });
  let served: Awaited<ReturnType<Workspace["serve"]>>;
  try {
    served = await workspace.serve(config, {
      cwd: workspace.dir,
      detached: true,
      logLevel: options.logLevel ?? "warn",
      readyTimeoutMs: 30_000,
      // A simulator started by llmux inherits these: one simulated GPU and one event log per llmux.
      env: { VLLM_SIM_STATE_DIR: workspace.simStateDir, VLLM_SIM_EVENT_LOG: workspace.eventLog, ...options.env },
      ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
      ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
    });
  } catch (error) {
    await workspace.cleanup(5000);
    untrack();
    throw error;
  }
  const { llmux, url } = served;
  return {
    url,
    pid: llmux.pid,
    process: llmux,
    tail: () => llmux.tail(),
    events: () => workspace.events(),
    async stop() {
      // SIGTERM: llmux stops its vLLM process groups itself; the harness kills and reports leftovers after the grace.
      const report = await workspace.cleanup(15_000);
      untrack();
      if (report.leftBehind.length > 0) throw new Error(`llmux left processes behind: ${report.leftBehind.join(", ")}`);
    },
  };
}
