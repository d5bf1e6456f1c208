import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimControlError, SimExitedError, SimReadyTimeoutError } from "../errors.js";
import { simBinPath } from "./bin-paths.js";
import { freePort } from "./free-port.js";
import { type SimEvent, readSimEvents } from "./sim-events.js";

export interface SpawnSimOptions {
  /** Model path (positional argument); default `sim/model`. */
  modelPath?: string;
  /** `--served-model-name`; default the model path. */
  model?: string;
  port?: number;
  /** Extra command-line words (vLLM flags or `--sim-*` knobs). */
  args?: string[];
  /** Extra environment; `VLLM_SERVER_DEV_MODE` defaults to 1. */
  env?: Record<string, string>;
  /** Knobs as `--sim-<name> <value>` flags, e.g. `{ "startup-ms": 500 }`. */
  knobs?: Record<string, string | number | boolean>;
  /** Timings in camelCase (`{ startupMs: 500, tokensPerSec: 20 }`), passed as `--sim-*` flags. */
  timings?: SimTimings;
  /** Shared simulated GPU state (to put several sims on one GPU); default a fresh temp dir. */
  stateDir?: string;
  /** Pass `--enable-sleep-mode`; default true. */
  enableSleepMode?: boolean;
  /** Wait for `/health` 200; default true. */
  waitReady?: boolean;
  readyTimeoutMs?: number;
}

export interface SimTimings {
  startupMs?: number;
  sleep1Ms?: number;
  sleep2Ms?: number;
  wake1Ms?: number;
  wake2Ms?: number;
  reloadMs?: number;
  ttftMs?: number;
  tokensPerSec?: number;
}

/** `startupMs` → `startup-ms`, `sleep1Ms` → `sleep1-ms`, `tokensPerSec` → `tokens-per-sec`. */
function timingKnob(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

export interface SimHandle {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  eventLogPath: string;
  stateDir: string;
  /** Every line the process wrote so far (stdout and stderr). */
  logs(): string[];
  control: {
    fault(name: string, count?: number): Promise<void>;
    stats(): Promise<SimStats>;
  };
  /** The event log so far (after `stop()`: as it was at exit). */
  events(): SimEvent[];
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, SIGKILL after a grace period; removes the temp dirs. Idempotent. */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** SIGKILL at once (like `kill -9`: in a shared `stateDir` its GPU record stays, but never counts); removes the temp dirs. Idempotent. */
  destroy(): Promise<void>;
}

export interface SimStats {
  model: string;
  pid: number;
  sleeping: boolean;
  sleep_level: number;
  requests: { total: number; running: number; completed: number; cancelled: number; failed: number; waiting: number };
  sleeps: number;
  wakes: number;
  reloads: number;
  [field: string]: unknown;
}

/**
 * Spawn the built `vllm-sim` (run `pnpm -F @llmux/vllm-sim build` first) on a
 * free port with the control routes on, an event log and its own simulated
 * GPU state, and wait until `/health` answers 200.
 */
export async function spawnSim(options: SpawnSimOptions = {}): Promise<SimHandle> {
  const workDir = mkdtempSync(join(tmpdir(), "vllm-sim-test-"));
  const stateDir = options.stateDir ?? join(workDir, "gpus");
  const eventLogPath = join(workDir, "events.jsonl");
  const port = options.port ?? (await freePort());
  const modelPath = options.modelPath ?? "sim/model";
  const argv = [simBinPath, "serve", modelPath, "--host", "127.0.0.1", "--port", String(port)];
  if (options.model !== undefined) argv.push("--served-model-name", options.model);
  if (options.enableSleepMode !== false) argv.push("--enable-sleep-mode");
  argv.push("--sim-control", "1", "--sim-event-log", eventLogPath, "--sim-state-dir", stateDir);
  for (const [name, value] of Object.entries(options.timings ?? {})) argv.push(`--sim-${timingKnob(name)}`, String(value));
  for (const [name, value] of Object.entries(options.knobs ?? {})) argv.push(`--sim-${name}`, String(value === true ? 1 : value === false ? 0 : value));
  argv.push(...(options.args ?? []));
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, VLLM_SERVER_DEV_MODE: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (text: string) => {
      const parts = (rest + text).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    });
    stream?.on("end", () => {
      if (rest) lines.push(rest);
      rest = "";
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((info) => (exitInfo = info));
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  /** The log as it was when the temp dir was removed, so `events()` still works after `stop()`. */
  let finalEvents: SimEvent[] | undefined;
  const handle: SimHandle = {
    url,
    port,
    pid: child.pid ?? -1,
    child,
    eventLogPath,
    stateDir,
    logs: () => [...lines],
    events: () => finalEvents ?? readSimEvents(eventLogPath),
    exited,
    control: {
      async fault(name, count = 1) {
        const response = await fetch(`${url}/_sim/fault`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ fault: name, count }),
        }).catch((error: unknown) => {
          throw new SimControlError(`POST /_sim/fault failed: ${(error as Error).message}`, { cause: error });
        });
        if (!response.ok) throw new SimControlError(`POST /_sim/fault answered ${response.status}: ${await response.text()}`, { status: response.status });
        await response.arrayBuffer();
      },
      async stats() {
        const response = await fetch(`${url}/_sim/stats`).catch((error: unknown) => {
          throw new SimControlError(`GET /_sim/stats failed: ${(error as Error).message}`, { cause: error });
        });
        if (!response.ok) throw new SimControlError(`GET /_sim/stats answered ${response.status}`, { status: response.status });
        return (await response.json()) as SimStats;
      },
    },
    destroy() {
      return handle.stop({ graceMs: 0 });
    },
    stop({ graceMs = 3000 } = {}) {
      stopped ??= (async () => {
        if (exitInfo === undefined && child.exitCode === null && child.signalCode === null) {
          child.kill(graceMs <= 0 ? "SIGKILL" : "SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
          await exited;
          clearTimeout(timer);
        }
        finalEvents = readSimEvents(eventLogPath);
        rmSync(workDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  if (options.waitReady === false) return handle;
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exitInfo !== undefined) throw new SimExitedError(exitInfo.code, exitInfo.signal, lines.slice(-10));
      if (Date.now() > deadline) throw new SimReadyTimeoutError(timeoutMs);
      const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
        .then(async (response) => {
          await response.arrayBuffer();
          return response.status === 200;
        })
        .catch(() => false);
      if (ok) return handle;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch (error) {
    await handle.stop();
    throw error;
  }
}
