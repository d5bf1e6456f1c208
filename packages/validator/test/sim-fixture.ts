import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { freePort, simBinPath, simSmiBinPath } from "@llmux/vllm-sim/testing";
import { vllmServerFactory } from "../src/engine.js";
import type { EngineFactory, ValidatorConfig, ValidatorEngine } from "../src/engine.js";
import type { RunValidationOptions } from "../src/run-validation.js";

/** A string sink for the report. */
export class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/**
 * One validator run against a real `vllm-sim` process: its own simulated GPU
 * state dir (seen by the sim and by `vllm-sim-smi`), a free port, and a record
 * of every engine the validator created so `cleanup()` can stop them even when
 * a test fails half-way.
 */
export interface SimFixture {
  stateDir: string;
  config: ValidatorConfig;
  engines: ValidatorEngine[];
  pids(): number[];
  options(overrides?: Partial<RunValidationOptions>): RunValidationOptions & { stdout: Capture };
  gpuRecords(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function createSimFixture(model: { extraArgs?: string[]; env?: Record<string, string> } = {}): Promise<SimFixture> {
  const stateDir = await mkdtemp(join(tmpdir(), "validator-sim-"));
  const port = await freePort();
  const config: ValidatorConfig = {
    vllm_command: simBinPath,
    models: {
      "sim-model": {
        model_path: "sim/Qwen3-8B",
        port,
        extra_args: model.extraArgs ?? [],
        env: { VLLM_SIM_STATE_DIR: stateDir, ...model.env },
        startup_timeout_secs: 60,
      },
    },
    policy: { stop_grace_secs: 2, sleep_timeout_secs: 30, wake_timeout_secs: 30 },
  };
  const engines: ValidatorEngine[] = [];
  const engineFactory: EngineFactory = (name, modelConfig, fullConfig) => {
    const engine = vllmServerFactory(name, modelConfig, fullConfig);
    engines.push(engine);
    return engine;
  };
  return {
    stateDir,
    config,
    engines,
    pids: () =>
      engines.flatMap((engine) => {
        const pid = (engine as { pid?: number }).pid;
        return pid === undefined ? [] : [pid];
      }),
    options: (overrides = {}) =>
      ({
        config,
        model: "sim-model",
        engineFactory,
        nvidiaSmi: simSmiBinPath,
        nvidiaSmiEnv: { ...process.env, VLLM_SIM_STATE_DIR: stateDir },
        settle: { intervalMs: 50, timeoutMs: 3000 },
        probeTimeoutMs: 20_000,
        stdout: new Capture(),
        stderr: new Capture(),
        ...overrides,
      }) as RunValidationOptions & { stdout: Capture },
    gpuRecords: async () => (await readdir(stateDir).catch(() => [])).filter((name) => name.endsWith(".json")),
    cleanup: async () => {
      await Promise.allSettled(engines.map((engine) => engine.stop()));
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
