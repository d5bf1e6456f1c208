import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { FLEET_KNOBS } from "../scenarios/fleet.js";
import { fleetTimeScale, SHIPPED_POOL_CONFIG, shippedPodPolicy } from "./pod-config.js";
import { tempFileWriter } from "./temp-file.js";

function configMap(policy: Record<string, unknown>): string {
  const config = JSON.stringify({ models: { a: { model_path: "x", port: 8001 } }, policy });
  return `apiVersion: v1\nkind: ConfigMap\ndata:\n  config.json: |\n    ${config}\n`;
}

describe("the fleet bench's pod policy", () => {
  const write = tempFileWriter("llmux-config.yaml");

  it("scales by the ratio of a realistic level-1 switch to the fleet's", () => {
    // realistic sleep 10 s + wake 0.8 s against the fleet's 0.6 s + 0.3 s
    expect(fleetTimeScale(FLEET_KNOBS)).toBeCloseTo(12, 9);
    expect(() => fleetTimeScale({ "ttft-ms": 20 })).toThrow(/sleep1-ms/);
  });

  it("is the shipped pool config's, its wait bounds scaled", () => {
    const shipped = JSON.parse((parseYaml(readFileSync(SHIPPED_POOL_CONFIG, "utf8")) as { data: Record<string, string> }).data["config.json"] ?? "{}");
    const policy = shippedPodPolicy(FLEET_KNOBS);
    expect(policy.policy_type).toBe(shipped.policy.policy_type);
    expect((policy.max_wait_secs as number) * fleetTimeScale(FLEET_KNOBS)).toBeCloseTo(shipped.policy.max_wait_secs, 9);
  });

  it("scales llmux's defaults for what the config leaves out, and refuses a setting it would not carry over", () => {
    const path = write(configMap({ policy_type: "cost_aware", max_wait_secs: 18 }));
    const policy = shippedPodPolicy({ "sleep1-ms": 600, "wake1-ms": 300 }, path);
    expect(policy.policy_type).toBe("cost_aware");
    expect(policy.max_wait_secs).toBeCloseTo(1.5, 9);
    // min_active_secs' default of 5 s, a twelfth
    expect(policy.min_active_secs).toBeCloseTo(5 / 12, 9);
    const drain = write(configMap({ policy_type: "cost_aware", max_drain_secs: 2 }));
    expect(() => shippedPodPolicy(FLEET_KNOBS, drain)).toThrow(/policy\.max_drain_secs/);
  });
});
