import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import type { Workspace } from "./workspace.js";

/** One simulated model of a test config. */
export interface SimModelSpec {
  name: string;
  sleepLevel: 1 | 2 | 3;
  /** `--sim-*` words for this model's simulator (its `extra_args`). */
  simArgs?: string[];
  env?: Record<string, string>;
  /** More fields of this model's config entry (they win over the generated ones). */
  config?: Record<string, unknown>;
}

/**
 * A config that runs `models` on vllm-sim, each on a free TCP port (so its
 * `/_sim/*` control routes are reachable; delete `port` for a socket), all
 * sharing the workspace's simulated GPU and event log. `extra` is merged
 * over the top level; its `policy` over `min_active_secs: 0`, since tests
 * switch on purpose and the anti-thrash default would only slow them.
 */
export async function simConfig(workspace: Workspace, models: SimModelSpec[], extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const entries: Record<string, unknown> = {};
  for (const model of models) {
    entries[model.name] = {
      model_path: `org/${model.name}`,
      port: await freePort(),
      sleep_level: model.sleepLevel,
      startup_timeout_secs: 60,
      ...(model.simArgs === undefined ? {} : { extra_args: model.simArgs }),
      env: { VLLM_SIM_STATE_DIR: workspace.simStateDir, VLLM_SIM_EVENT_LOG: workspace.eventLog, ...model.env },
      ...model.config,
    };
  }
  return {
    port: await freePort(),
    host: "127.0.0.1",
    metrics_port: 0,
    vllm_command: simBinPath,
    models: entries,
    ...extra,
    policy: { min_active_secs: 0, ...(extra["policy"] as Record<string, unknown> | undefined) },
  };
}
