import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, removeTempDir, spawnTracked } from "./children.js";
import { waitForHttp } from "./http-wait.js";
import { llmuxBinPath } from "./paths.js";

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
  folder: string;
  stop(): Promise<void>;
  tail(): string;
}

export function llmuxAvailable(): boolean {
  return existsSync(llmuxBinPath);
}

/**
 * Start the real built `llmux` binary with a temporary config, as a user would:
 * `node packages/cli/dist/cli.js --config <file>`. `nodeArgs` lets the profiler
 * run it under `--cpu-prof`.
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

async function startLlmuxOnce(options: LlmuxOptions): Promise<RunningLlmux> {
  const folder = makeTempDir("llmux");
  const configPath = join(folder, "config.json");
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
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const tracked = spawnTracked(
    "llmux",
    process.execPath,
    [...(options.nodeArgs ?? []), llmuxBinPath, "--config", configPath, "--log-level", options.logLevel ?? "warn", "--log-format", "json"],
    {
      cwd: folder,
      env: { ...process.env, VLLM_SIM_STATE_DIR: join(folder, "sim-state"), ...options.env },
    },
    options.onLine,
  );
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitForHttp(`${url}/health`, { timeoutMs: 30_000, alive: () => tracked.child.exitCode === null, what: "llmux" });
  } catch (error) {
    await tracked.stop(5000);
    removeTempDir(folder);
    throw new Error(`${(error as Error).message}\n${tracked.tail()}`);
  }
  return {
    url,
    pid: tracked.pid,
    folder,
    tail: tracked.tail,
    async stop() {
      // SIGTERM: llmux stops its vLLM process groups itself; the tracker SIGKILLs leftovers after the grace.
      await tracked.stop(15_000);
      removeTempDir(folder);
    },
  };
}
