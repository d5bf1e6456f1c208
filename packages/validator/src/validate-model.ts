import { AbortedError } from "@llmux/types";
import { isBrokenSleepVersion } from "@llmux/vllm-client";
import { extractWakeCalls, vllmServerFactory } from "./engine.js";
import type { EngineFactory, ValidatorConfig, ValidatorEngine } from "./engine.js";
import { NvidiaSmiMissingError, ValidateOptionsError } from "./errors.js";
import { readGpuMemory } from "./gpu-memory.js";
import type { GpuMemoryReading } from "./gpu-memory.js";
import { describeError, emptyMeasurements, judgeLevel } from "./measure-level.js";
import type { LevelMeasurements } from "./measure-level.js";
import { DEFAULT_MIN_RELEASE, DEFAULT_MIN_RESTORE } from "./pass-rules.js";
import { engineRequest } from "./engine-http.js";
import { askProbe } from "./probe.js";
import { summarize } from "./report.js";
import type { LevelReport, ValidateLevel, ValidationReport } from "./report.js";
import { settleGpuMemory } from "./settle.js";
import type { SettleClock } from "./settle.js";

/** A step of the procedure, for progress display. */
export interface ProgressEvent {
  step: "baseline" | "start" | "reference" | "before" | "sleep" | "settle" | "wake" | "answer" | "stop";
  level: ValidateLevel | null;
  /** `begin` when the step starts, `end` when it finished (successfully or not). */
  phase: "begin" | "end";
}

/** Context handed to test hooks between steps. */
export interface HookContext {
  level: ValidateLevel;
  engine: ValidatorEngine;
  url: string;
}

export interface ValidateModelOptions {
  /** A parsed llmux config (core's `parseConfig` output fits). */
  config: ValidatorConfig;
  /** The model to validate: a key of `config.models`. */
  model: string;
  /** Levels to measure, in order (default [1, 2]); 3 = stop and cold start. */
  levels?: readonly ValidateLevel[];
  /** Fraction of the model's memory the sleep must free (default 0.8). */
  minRelease?: number;
  /** Fraction of the released memory the wake must bring back (default 0.8). */
  minRestore?: number;
  /** nvidia-smi executable (default `nvidia-smi`). */
  nvidiaSmi?: string;
  /** Environment nvidia-smi sees (default `process.env`). */
  nvidiaSmiEnv?: NodeJS.ProcessEnv;
  /** How memory readings after sleep and wake wait for the value to settle. */
  settle?: { intervalMs?: number; timeoutMs?: number; toleranceMiB?: number; clock?: SettleClock };
  /** Timeout of each probe request (default 120 s: the first request after a wake is slow). */
  probeTimeoutMs?: number;
  /** Aborting stops the model and rejects with `LLMUX_ERR_ABORTED`. */
  signal?: AbortSignal;
  /** Builds the engine; default a `VllmServer` from the config (`vllmServerFactory`). */
  engineFactory?: EngineFactory;
  onProgress?: (event: ProgressEvent) => void;
  /** Called between steps; for tests that arm simulator faults mid-run. Errors thrown fail the level. */
  hooks?: {
    beforeSleep?: (context: HookContext) => Promise<void> | void;
    beforeWake?: (context: HookContext) => Promise<void> | void;
  };
}

const VALID_LEVELS: readonly number[] = [1, 2, 3];

function checkOptions(options: ValidateModelOptions): { levels: ValidateLevel[]; minRelease: number; minRestore: number } {
  if (!Object.hasOwn(options.config.models, options.model)) {
    const known = Object.keys(options.config.models).join(", ");
    throw new ValidateOptionsError(`unknown model "${options.model}" (the config has: ${known || "none"})`);
  }
  const levels = [...(options.levels ?? [1, 2])];
  if (levels.length === 0) throw new ValidateOptionsError("no levels to validate");
  for (const level of levels) {
    if (!VALID_LEVELS.includes(level)) throw new ValidateOptionsError(`invalid level ${String(level)} (expected 1, 2 or 3)`);
  }
  const minRelease = options.minRelease ?? DEFAULT_MIN_RELEASE;
  const minRestore = options.minRestore ?? DEFAULT_MIN_RESTORE;
  for (const [name, value] of [
    ["min-release", minRelease],
    ["min-restore", minRestore],
  ] as const) {
    if (!(value > 0 && value <= 1)) throw new ValidateOptionsError(`${name} must be a fraction in (0, 1], got ${value}`);
  }
  return { levels, minRelease, minRestore };
}

/**
 * The procedure: baseline memory with the model not running; start; take the
 * reference answer; per level: memory before, timed sleep, settled memory,
 * timed wake, settled memory, answer again. The model is stopped at the end,
 * on failure and on abort. A failing step becomes a FAIL row, never a throw;
 * only bad options and an abort reject.
 */
export async function validateModel(options: ValidateModelOptions): Promise<ValidationReport> {
  const { levels, minRelease, minRestore } = checkOptions(options);
  const modelConfig = options.config.models[options.model]!;
  const signal = options.signal;
  const progress = (step: ProgressEvent["step"], level: ValidateLevel | null, phase: ProgressEvent["phase"]): void =>
    options.onProgress?.({ step, level, phase });
  const step = async <T>(name: ProgressEvent["step"], level: ValidateLevel | null, run: () => Promise<T>): Promise<T> => {
    if (signal?.aborted) throw new AbortedError("validation aborted", { cause: signal.reason });
    progress(name, level, "begin");
    try {
      return await run();
    } finally {
      progress(name, level, "end");
    }
  };
  const smiCommand = options.nvidiaSmi ?? "nvidia-smi";
  const read = (): Promise<GpuMemoryReading> =>
    readGpuMemory({ command: smiCommand, ...(options.nvidiaSmiEnv ? { env: options.nvidiaSmiEnv } : {}), ...(signal ? { signal } : {}) });
  const settleOptions = { ...options.settle, ...(signal ? { signal } : {}) };

  const report: ValidationReport = {
    model: options.model,
    modelPath: modelConfig.model_path,
    levels,
    vllmVersion: null,
    brokenSleepVersion: false,
    warnings: [],
    thresholds: { minRelease, minRestore },
    memory: { checked: true, command: smiCommand, reason: null, baseline: null },
    startupSecs: null,
    reference: null,
    rows: [],
    fatal: null,
    result: "failed",
    exitCode: 1,
  };

  let engine: ValidatorEngine | null = null;
  const factory = options.engineFactory ?? vllmServerFactory;
  const newEngine = (): ValidatorEngine => factory(options.model, modelConfig, options.config);
  const stopEngine = async (): Promise<void> => {
    const current = engine;
    engine = null;
    if (current) await current.stop().catch(() => undefined);
  };
  // Memory readings during a level: a failed reading leaves the value unmeasured rather than failing the run.
  const readMemory = async (settled: boolean): Promise<GpuMemoryReading | null> => {
    if (!report.memory.checked) return null;
    try {
      return settled ? await settleGpuMemory(read, settleOptions) : await read();
    } catch (error) {
      if (signal?.aborted) throw error;
      report.warnings.push(`GPU memory reading failed: ${describeError("memory", error).message}`);
      return null;
    }
  };

  try {
    await step("baseline", null, async () => {
      try {
        report.memory.baseline = await read();
      } catch (error) {
        if (signal?.aborted) throw error;
        report.memory.checked = false;
        report.memory.reason =
          error instanceof NvidiaSmiMissingError ? `nvidia-smi not found (${smiCommand})` : `nvidia-smi failed: ${describeError("baseline", error).message}`;
      }
    });

    const started = Date.now();
    try {
      await step("start", null, async () => {
        engine = newEngine();
        await engine.start(signal ? { signal } : {});
      });
      report.startupSecs = (Date.now() - started) / 1000;
      await noteVersion(report, engine!);
      report.reference = await step("reference", null, () => probe(engine!, options));
    } catch (error) {
      if (signal?.aborted) throw error;
      report.fatal = describeError(report.startupSecs === null ? "start" : "reference", error);
    }

    if (report.fatal === null) {
      for (const level of levels) {
        report.rows.push(await measureLevel(level));
      }
    }
  } catch (error) {
    if (signal?.aborted) throw new AbortedError("validation aborted", { cause: signal.reason });
    throw error;
  } finally {
    await step("stop", null, stopEngine).catch(() => stopEngine());
  }
  if (signal?.aborted) throw new AbortedError("validation aborted", { cause: signal.reason });
  Object.assign(report, summarize(report.rows, report.fatal));
  return report;

  async function measureLevel(level: ValidateLevel): Promise<LevelReport> {
    const measured: LevelMeasurements = emptyMeasurements(level);
    let current = "before";
    try {
      if (engine === null) {
        current = "restart";
        // An earlier level left the model dead or stopped: start it again so this level is measured on its own.
        await step("start", level, async () => {
          engine = newEngine();
          await engine.start(signal ? { signal } : {});
        });
      }
      const running = engine!;
      current = "before";
      measured.gpuBefore = await step("before", level, () => readMemory(false));
      current = "sleep";
      await options.hooks?.beforeSleep?.({ level, engine: running, url: running.url });
      const sleepStarted = Date.now();
      await step("sleep", level, async () => {
        if (level === 3) {
          engine = null;
          await running.stop();
        } else {
          await running.sleep(level, signal ? { signal } : {});
        }
      });
      measured.sleepSecs = (Date.now() - sleepStarted) / 1000;
      current = "settle";
      measured.gpuAfter = await step("settle", level, () => readMemory(true));
      current = "wake";
      await options.hooks?.beforeWake?.({ level, engine: running, url: running.url });
      const wakeStarted = Date.now();
      await step("wake", level, async () => {
        if (level === 3) {
          engine = newEngine();
          await engine.start(signal ? { signal } : {});
        } else {
          const result = await running.wakeUp(level, signal ? { signal } : {});
          measured.wakeCalls = extractWakeCalls(result);
          if (measured.wakeCalls.length === 0) measured.wakeCalls = extractWakeCalls(running.lastWake);
        }
      });
      measured.wakeSecs = (Date.now() - wakeStarted) / 1000;
      current = "settle";
      measured.gpuWake = await step("settle", level, () => readMemory(true));
      current = "answer";
      measured.answer = await step("answer", level, () => probe(engine!, options));
    } catch (error) {
      if (signal?.aborted) throw error;
      measured.error = describeError(current, error);
      // The engine may be dead or half-awake; the next level starts from a fresh process.
      await stopEngine();
    }
    return judgeLevel(
      measured,
      { reference: report.reference, baseline: report.memory.baseline, memoryChecked: report.memory.checked, memoryReason: report.memory.reason },
      { minRelease, minRestore },
    );
  }
}

function probe(engine: ValidatorEngine, options: ValidateModelOptions): Promise<string> {
  return askProbe({
    url: engine.url,
    socketPath: engine.socketPath,
    servedModelName: options.model,
    ...(options.probeTimeoutMs !== undefined ? { timeoutMs: options.probeTimeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

async function noteVersion(report: ValidationReport, engine: ValidatorEngine): Promise<void> {
  let version = engine.version ?? null;
  if (version === null) {
    try {
      const response = await engineRequest(`${engine.url}/version`, { method: "GET", socketPath: engine.socketPath, signal: AbortSignal.timeout(10_000) });
      const body = JSON.parse(response.text) as { version?: unknown };
      if (typeof body.version === "string") version = body.version;
    } catch {
      // The version is informative only; a server without /version is still validated.
    }
  }
  report.vllmVersion = version;
  if (version !== null && isBrokenSleepVersion(version)) {
    report.brokenSleepVersion = true;
    report.warnings.push(`vLLM ${version} is in the range whose sleep mode frees almost no GPU memory (>= 0.14.0, < 0.17.0; vLLM issue #32714)`);
  }
}
