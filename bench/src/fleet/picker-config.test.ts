import { describe, expect, it } from "vitest";
import { shippedScorers } from "./picker-config.js";
import { tempFileWriter } from "./temp-file.js";
import { emptyPodMetrics, metricPicker } from "./routers.js";

function configMap(profile: string, plugins = "- type: lora-affinity-scorer\n      - type: queue-scorer\n      - type: max-score-picker"): string {
  const inner = `plugins:\n      ${plugins}\nschedulingProfiles:\n  - name: default\n    plugins:\n${profile}`;
  return `apiVersion: v1\nkind: ConfigMap\ndata:\n  plugins.yaml: |\n${inner
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n")}\n`;
}

describe("the fleet bench's picker profile", () => {
  const write = tempFileWriter("epp-config.yaml");

  it("is the shipped config's scorers with their weights", () => {
    const scorers = shippedScorers();
    expect(scorers.map((scorer) => scorer.type)).toContain("lora-affinity-scorer");
    expect(scorers.every((scorer) => scorer.weight > 0)).toBe(true);
  });

  it("gives a scorer without a weight the picker's default of 1, and refuses what the test picker does not implement", () => {
    const path = write(
      configMap("      - pluginRef: lora-affinity-scorer\n        weight: 3\n      - pluginRef: queue-scorer\n      - pluginRef: max-score-picker"),
    );
    expect(shippedScorers(path)).toEqual([
      { type: "lora-affinity-scorer", weight: 3 },
      { type: "queue-scorer", weight: 1 },
    ]);
    const prefix = write(
      configMap("      - pluginRef: prefix-cache-scorer\n      - pluginRef: max-score-picker", "- type: prefix-cache-scorer\n      - type: max-score-picker"),
    );
    expect(() => shippedScorers(prefix)).toThrow(/prefix-cache-scorer/);
    const random = write(configMap("      - pluginRef: queue-scorer\n      - pluginRef: random-picker", "- type: queue-scorer\n      - type: random-picker"));
    expect(() => shippedScorers(random)).toThrow(/random-picker/);
  });
});

describe("the test picker's scoring", () => {
  const pod = (fields: Partial<ReturnType<typeof emptyPodMetrics>>) => ({ ...emptyPodMetrics(), maxActiveModels: 1, ...fields });

  it("sends a model awake nowhere to the pod with the least work, and its next request to the pod already waiting for it", () => {
    const pods = [
      pod({ activeModels: new Set(["a"]), runningRequestsSize: 3 }),
      pod({ activeModels: new Set(["b"]), runningRequestsSize: 0 }),
      pod({ activeModels: new Set(["c"]), runningRequestsSize: 1, waitingQueueSize: 1, waitingModels: new Set(["x"]) }),
    ];
    const picker = metricPicker({
      metrics: () => pods,
      scorers: [
        { type: "lora-affinity-scorer", weight: 4 },
        { type: "queue-scorer", weight: 1 },
        { type: "running-requests-size-scorer", weight: 1 },
      ],
      random: () => 0,
    });
    expect(picker.pick("y")).toBe(1);
    expect(picker.pick("x")).toBe(2);
    expect(picker.pick("a")).toBe(0);
  });
});
