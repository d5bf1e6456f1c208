import { describe, expect, it } from "vitest";
import { simConfig, type Workspace } from "../src/testing/index.js";
import { chat, workspacePerTest } from "./helpers/test-kit.js";

/** Automatic GPU placement through the built binary on a simulated 3-GPU machine. */
let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

describe("GPU placement through the binary", () => {
  it("places models without `gpus` on the GPUs that need the fewest evictions, then the least used", async () => {
    const names = ["m1", "m2", "m3", "m4", "m5"];
    const config = (await simConfig(
      workspace,
      names.map((name) => ({ name, sleepLevel: 1 as const, env: { VLLM_SIM_GPU_COUNT: "3" } })),
      { gpu: { count: 3 } },
    )) as { models: Record<string, Record<string, unknown>> };
    // One model per GPU at a time: 0.6 of a card each.
    for (const model of Object.values(config.models)) model["gpu_memory_utilization"] = 0.6;
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();

    // A free GPU costs no eviction: the first three land on GPUs 0, 1, 2.
    for (const name of ["m1", "m2", "m3"]) expect((await chat(url, name)).status).toBe(200);
    const ready = () => workspace.events().filter((event) => event.event === "ready");
    expect(ready().map((event) => [event.model, event["gpus"]])).toEqual([
      ["m1", [0]],
      ["m2", [1]],
      ["m3", [2]],
    ]);
    // Every GPU is full: m4 costs one eviction wherever it goes; all tie, so the lowest index.
    expect((await chat(url, "m4")).status).toBe(200);
    expect(ready().at(-1)).toMatchObject({ model: "m4", gpus: [0] });
    const placedLine = await llmux.waitForLine((line) => line.msg === "m4: placed on GPU 0");
    expect(placedLine["gpus"]).toEqual([0]);

    // Under mixed load the simulator (which refuses a start on a GPU without room) never fails one.
    const results = await Promise.all(names.flatMap((name) => [chat(url, name), chat(url, name)]));
    expect(results.map((result) => result.status)).toEqual(names.flatMap(() => [200, 200]));
    expect(workspace.events().filter((event) => event.event === "crash")).toEqual([]);

    const status = (await (await fetch(`${url}/llmux/status`)).json()) as { models: Array<{ name: string; placement: string; gpus: number[] }> };
    for (const model of status.models) {
      expect(model.placement).toBe("auto");
      expect(model.gpus).toHaveLength(1);
    }
    expect(new Set(ready().flatMap((event) => (event["gpus"] as number[] | undefined) ?? []))).toEqual(new Set([0, 1, 2]));
    await llmux.stop();
    expect((await llmux.exited).code).toBe(0);
  }, 120_000);
});
