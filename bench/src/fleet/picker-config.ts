import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { repoRoot } from "../paths.js";
import { isScorerType, type WeightedScorer } from "./routers.js";

/** The endpoint picker config llmux ships for its pool. */
export const SHIPPED_PICKER_CONFIG = join(repoRoot, "apps/docker/k8s/gateway/epp-config.yaml");

interface ProfilePlugin {
  pluginRef: string;
  weight?: number;
}

/**
 * The scorers and weights of the shipped config's first scheduling profile,
 * so the fleet bench measures the weights that ship. Refuses a profile the
 * test picker cannot follow (a filter, a picker other than max-score, an
 * unknown scorer) rather than measure something else.
 */
export function shippedScorers(path = SHIPPED_PICKER_CONFIG): WeightedScorer[] {
  const configMap = parseYaml(readFileSync(path, "utf8")) as { data: Record<string, string> };
  const config = parseYaml(Object.values(configMap.data)[0] ?? "") as {
    plugins: { type: string; name?: string }[];
    schedulingProfiles: { plugins: ProfilePlugin[] }[];
  };
  const typeOf = new Map(config.plugins.map((plugin) => [plugin.name ?? plugin.type, plugin.type]));
  const scorers: WeightedScorer[] = [];
  for (const entry of config.schedulingProfiles[0]?.plugins ?? []) {
    const type = typeOf.get(entry.pluginRef) ?? "";
    if (type === "max-score-picker") continue;
    if (!isScorerType(type)) throw new Error(`${path}: the test picker does not implement ${type || entry.pluginRef}`);
    // The picker's default weight for a scorer without one is 1.
    scorers.push({ type, weight: entry.weight ?? 1 });
  }
  if (!(config.schedulingProfiles[0]?.plugins ?? []).some((entry) => typeOf.get(entry.pluginRef) === "max-score-picker")) {
    throw new Error(`${path}: the test picker follows max-score-picker only`);
  }
  return scorers;
}
