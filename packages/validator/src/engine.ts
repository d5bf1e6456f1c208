import { type ModelEntry, type ServerConfigEntry, VllmServer, serverOptionsFromConfig } from "@llmux/vllm-client";

/**
 * What the validator needs from a model server. `VllmServer` from
 * `@llmux/vllm-client` satisfies it; tests and embedders may pass their own
 * through `engineFactory`.
 */
export interface ValidatorEngine {
  readonly url: string;
  /** The Unix socket the running engine serves on (a model without a port); then `url` only names the `Host`. */
  readonly socketPath?: string | undefined;
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
export type ValidatorModelConfig = ModelEntry;

/** The subset of an llmux config the validator reads (core's `LlmuxConfig` fits). */
export interface ValidatorConfig extends ServerConfigEntry {
  models: Readonly<Record<string, ValidatorModelConfig>>;
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
export const vllmServerFactory: EngineFactory = (name, model, config) => new VllmServer(serverOptionsFromConfig(name, model, config));
