import { VllmServer } from "@llmux/vllm-client";

/**
 * What the validator needs from a model server. `VllmServer` from
 * `@llmux/vllm-client` satisfies it; tests and embedders may pass their own
 * through `engineFactory`.
 */
export interface ValidatorEngine {
  readonly url: string;
  start(options?: { signal?: AbortSignal }): Promise<void>;
  sleep(level: 1 | 2, options?: { signal?: AbortSignal }): Promise<void>;
  /** May resolve with the per-call timings of the wake sequence (`{ calls: [{ route, durationMs }] }`). */
  wakeUp(level: 1 | 2, options?: { signal?: AbortSignal }): Promise<unknown>;
  stop(): Promise<void>;
  /** The vLLM version read at start-up, when the engine knows it. */
  readonly version?: string | null | undefined;
  /** The last wake's per-call timings (`VllmServer.lastWake`), when the engine records them. */
  readonly lastWake?: unknown;
}

/** The subset of an llmux model entry the validator reads (core's `ModelConfig` fits). */
export interface ValidatorModelConfig {
  model_path: string;
  port: number;
  gpu_memory_utilization?: number;
  tensor_parallel_size?: number;
  dtype?: string;
  extra_args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  gpus?: readonly number[];
  startup_timeout_secs?: number;
}

/** The subset of an llmux config the validator reads (core's `LlmuxConfig` fits). */
export interface ValidatorConfig {
  vllm_command?: string;
  models: Readonly<Record<string, ValidatorModelConfig>>;
  policy?: {
    sleep_timeout_secs?: number;
    wake_timeout_secs?: number;
    stop_grace_secs?: number;
  };
}

export type EngineFactory = (name: string, model: ValidatorModelConfig, config: ValidatorConfig) => ValidatorEngine;

/** Per-call timings from whatever `wakeUp` resolved with, if it has any. */
export function extractWakeCalls(result: unknown): { route: string; durationMs: number }[] {
  if (typeof result !== "object" || result === null) return [];
  const calls = (result as { calls?: unknown }).calls;
  if (!Array.isArray(calls)) return [];
  return calls.flatMap((call: unknown) => {
    if (typeof call !== "object" || call === null) return [];
    const { route, durationMs } = call as { route?: unknown; durationMs?: unknown };
    return typeof route === "string" && typeof durationMs === "number" ? [{ route, durationMs }] : [];
  });
}

/**
 * The default engine: a `VllmServer` built from the model's config entry, the
 * same way llmux itself starts the model (command, flags, env, GPUs, timeouts).
 */
export const vllmServerFactory: EngineFactory = (name, model, config) => {
  const secs = (value: number | undefined): number | undefined => (value === undefined ? undefined : value * 1000);
  const options: ConstructorParameters<typeof VllmServer>[0] = { name, modelPath: model.model_path, port: model.port };
  if (config.vllm_command !== undefined) options.command = config.vllm_command;
  if (model.gpu_memory_utilization !== undefined) options.gpuMemoryUtilization = model.gpu_memory_utilization;
  if (model.tensor_parallel_size !== undefined) options.tensorParallelSize = model.tensor_parallel_size;
  if (model.dtype !== undefined) options.dtype = model.dtype;
  if (model.extra_args !== undefined) options.extraArgs = model.extra_args;
  if (model.env !== undefined) options.env = model.env;
  if (model.gpus !== undefined) options.gpus = model.gpus;
  const startup = secs(model.startup_timeout_secs);
  if (startup !== undefined) options.startupTimeoutMs = startup;
  const sleep = secs(config.policy?.sleep_timeout_secs);
  if (sleep !== undefined) options.sleepTimeoutMs = sleep;
  const wake = secs(config.policy?.wake_timeout_secs);
  if (wake !== undefined) options.wakeTimeoutMs = wake;
  const grace = secs(config.policy?.stop_grace_secs);
  if (grace !== undefined) options.stopGraceMs = grace;
  return new VllmServer(options);
};
