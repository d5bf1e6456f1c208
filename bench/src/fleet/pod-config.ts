import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "@llmux/core";
import { profiles } from "@llmux/vllm-sim";
import { parse as parseYaml } from "yaml";
import { repoRoot } from "../paths.js";

/** The llmux config the gateway manifests ship for every pod of the pool. */
export const SHIPPED_POOL_CONFIG = join(repoRoot, "apps/docker/k8s/gateway/llmux-config.yaml");

/**
 * How many times shorter the fleet's simulated level-1 switch (sleep, then
 * wake) is than the simulator's realistic one. The pool's policy durations
 * are divided by it, so that a wait bound is as many switches long in the
 * bench as in a shipped pod.
 */
export function fleetTimeScale(knobs: Record<string, number>): number {
  const fleetSwitchMs = (knobs["sleep1-ms"] ?? 0) + (knobs["wake1-ms"] ?? 0);
  if (fleetSwitchMs <= 0) throw new Error("the fleet's knobs need sleep1-ms and wake1-ms to scale the pool's policy");
  return (profiles.realistic.sleep1Ms + profiles.realistic.wake1Ms) / fleetSwitchMs;
}

const CARRIED = ["policy_type", "max_wait_secs", "min_active_secs", "request_timeout_secs"];

/**
 * The shipped pool config's policy for the bench's pods, defaults included:
 * its type, and the durations that decide when a pod switches
 * (`max_wait_secs`, `min_active_secs`) divided by `fleetTimeScale`. An
 * unscaled default would be a different policy: 5 s of `min_active_secs`
 * is half a realistic switch but more than five of the bench's.
 * `request_timeout_secs` is left to the bench (a safety net, not a lever).
 */
export function shippedPodPolicy(knobs: Record<string, number>, path = SHIPPED_POOL_CONFIG): Record<string, unknown> {
  const configMap = parseYaml(readFileSync(path, "utf8")) as { data: Record<string, string> };
  const raw = JSON.parse(configMap.data["config.json"] ?? "{}") as { policy?: Record<string, unknown> };
  // A shipped setting the bench does not carry over would go unmeasured.
  const uncarried = Object.keys(raw.policy ?? {}).filter((key) => !CARRIED.includes(key));
  if (uncarried.length > 0) throw new Error(`${path}: the fleet bench does not carry policy.${uncarried.join(", policy.")} to its pods`);
  const { policy } = parseConfig(raw);
  const scale = fleetTimeScale(knobs);
  return { policy_type: policy.policy_type, max_wait_secs: policy.max_wait_secs / scale, min_active_secs: policy.min_active_secs / scale };
}
