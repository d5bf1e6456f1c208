import type { VllmServerOptions } from "./options.js";

/**
 * The fields of one entry of an llmux config's `models` that decide how its
 * server starts (core's `ModelConfig` fits; every field but the first two may
 * be absent, so a partial config works too).
 */
export interface ModelEntry {
  model_path: string;
  /** Absent: a Unix socket. */
  port?: number | undefined;
  gpu_memory_utilization?: number;
  tensor_parallel_size?: number;
  dtype?: string;
  extra_args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  gpus?: readonly number[];
  startup_timeout_secs?: number;
}

/** The top-level fields of an llmux config that decide how a server starts (core's `LlmuxConfig` fits). */
export interface ServerConfigEntry {
  vllm_command?: string;
  policy?: {
    sleep_timeout_secs?: number;
    wake_timeout_secs?: number;
    stop_grace_secs?: number;
    drain_timeout_secs?: number;
  };
  proxy?: {
    upstream_keepalive_secs?: number;
  };
}

/**
 * `VllmServer` options for the model `name` of an llmux config: the one
 * mapping that llmux, the validator and the tests share, so a model is started
 * the same way wherever it is started. Absent fields keep VllmServer's
 * defaults.
 */
export function serverOptionsFromConfig(name: string, model: ModelEntry, config: ServerConfigEntry): VllmServerOptions {
  const options: VllmServerOptions = { name, modelPath: model.model_path };
  const ms = (secs: number | undefined): number | undefined => (secs === undefined ? undefined : secs * 1000);
  const set = <K extends keyof VllmServerOptions>(key: K, value: VllmServerOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set("port", model.port);
  set("command", config.vllm_command);
  set("gpuMemoryUtilization", model.gpu_memory_utilization);
  set("tensorParallelSize", model.tensor_parallel_size);
  set("dtype", model.dtype);
  set("extraArgs", model.extra_args);
  set("env", model.env);
  set("gpus", model.gpus);
  set("startupTimeoutMs", ms(model.startup_timeout_secs));
  set("sleepTimeoutMs", ms(config.policy?.sleep_timeout_secs));
  set("wakeTimeoutMs", ms(config.policy?.wake_timeout_secs));
  set("stopGraceMs", ms(config.policy?.stop_grace_secs));
  set("idleWaitMs", ms(config.policy?.drain_timeout_secs));
  set("keepAliveMs", ms(config.proxy?.upstream_keepalive_secs));
  return options;
}
