import { simSmiBinPath } from "@llmux/vllm-sim/testing";
import { describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { simConfig, waitGone, type Workspace } from "../src/testing/index.js";
import { simPidsOnPort, workspacePerTest } from "./helpers/test-kit.js";

let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

describe("llmux --validate", () => {
  it("runs the validator on a config's model and exits with its code", async () => {
    const config = await simConfig(workspace, [{ name: "qwen", sleepLevel: 1 }]);
    const path = workspace.writeConfig(config);
    const llmux = workspace.start(["--config", path, "--validate", "qwen", "--levels", "1,2", "--nvidia-smi", simSmiBinPath], {
      // vllm-sim-smi reads the simulated GPU the model's simulator writes.
      env: { VLLM_SIM_STATE_DIR: workspace.simStateDir },
    });
    const exit = await llmux.exited;
    expect(llmux.stdout).toMatch(/^Level\s+Sleep \(s\)\s+Wake \(s\)\s+GPU Before\s+GPU After\s+GPU Wake\s+Response\s+Pass$/m);
    expect(llmux.stdout).toMatch(/^L1\s.*match\s+OK$/m);
    expect(llmux.stdout).toMatch(/^L2\s.*match\s+OK$/m);
    expect(llmux.stdout).toContain("Result: ALL PASSED");
    expect(exit.code).toBe(0);
    expect(await waitGone(workspace.simPids(), 10_000)).toEqual([]);
  });

  it("exits 2 for a model the config does not have", async () => {
    const config = await simConfig(workspace, [{ name: "qwen", sleepLevel: 1 }]);
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--validate", "llama"]);
    expect((await llmux.exited).code).toBe(2);
    expect(llmux.stderr).toContain('unknown model "llama"');
  });

  it("on Ctrl-C stops the model being validated and exits 130", async () => {
    const config = await simConfig(workspace, [{ name: "qwen", sleepLevel: 1, env: { VLLM_SIM_STARTUP_MS: "20000" } }]);
    const port = (config["models"] as Record<string, { port: number }>)["qwen"]!.port;
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--validate", "qwen", "--nvidia-smi", simSmiBinPath], {
      env: { VLLM_SIM_STATE_DIR: workspace.simStateDir },
    });
    let pids: number[] = [];
    for (let tries = 0; tries < 600 && pids.length === 0; tries += 1) {
      await sleep(50);
      pids = simPidsOnPort(port);
    }
    expect(pids.length).toBe(1);
    llmux.child.kill("SIGINT");
    expect((await llmux.exited).code).toBe(130);
    expect(await waitGone(pids, 10_000)).toEqual([]);
  });
});
