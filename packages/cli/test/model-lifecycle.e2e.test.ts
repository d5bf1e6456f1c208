import { describe, expect, it } from "vitest";
import { simConfig, type Workspace } from "../src/testing/index.js";
import { chat, workspacePerTest } from "./helpers/test-kit.js";

/** Preload, warm-up and idle timeouts through the built binary in front of vllm-sim processes. */
let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

async function status(url: string): Promise<{
  models: Array<{ name: string; state: string }>;
  preload: { state: string; total: number; done: number; models: Array<{ name: string; state: string }> };
}> {
  const response = await fetch(`${url}/llmux/status`);
  return (await response.json()) as never;
}

describe("model lifecycle through the binary", () => {
  it("preloads (config and --preload), warms up after each start and wake, and sleeps then stops idle models", async () => {
    const config = await simConfig(workspace, [
      { name: "a", sleepLevel: 1 },
      { name: "b", sleepLevel: 2 },
    ]);
    const models = config["models"] as Record<string, Record<string, unknown>>;
    Object.assign(models["a"]!, { preload: true, warmup: true, idle_timeout_secs: 2, asleep_timeout_secs: 3 });
    Object.assign(models["b"]!, { warmup: true });
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--preload", "b"]);
    const url = await llmux.listening();
    // Health answers while the preload runs.
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await status(url)).preload).toMatchObject({ state: "running", total: 2 });

    await llmux.waitForLine((line) => line.msg.startsWith("preload done"));
    const afterPreload = await status(url);
    expect(afterPreload.preload).toMatchObject({
      state: "done",
      total: 2,
      done: 2,
      models: [
        { name: "a", state: "loaded" },
        { name: "b", state: "loaded" },
      ],
    });
    // Both need 90% of GPU 0: a (first) was slept to make room for b.
    expect(Object.fromEntries(afterPreload.models.map((m) => [m.name, m.state]))).toMatchObject({ a: "asleep", b: "awake" });
    const pidsAfterPreload = workspace.simPids();
    expect(pidsAfterPreload).toHaveLength(2);

    // a's next request costs a wake (same process), and the warm-up took the wake's cold request.
    const answer = await chat(url, "a");
    expect(answer.status).toBe(200);
    expect(workspace.simPids().sort()).toEqual([...pidsAfterPreload].sort());
    const switchLine = await llmux.waitForLine(
      (line) => line["to"] === "a" && line["result"] === "ok" && (line["phases"] as Array<{ phase: string }>).some((p) => p.phase === "wake"),
    );
    expect((switchLine["phases"] as Array<{ phase: string }>).map((p) => p.phase)).toEqual(["drain", "sleep", "wake", "warmup"]);
    const aStarts = workspace.events().filter((e) => e.model === "a" && e.event === "request_start");
    // Preload warm-up, wake warm-up, the client's request: the simulator marks the first request
    // after a wake cold, and that was the warm-up, not the client's.
    expect(aStarts).toHaveLength(3);
    expect(aStarts.map((e) => e.cold === true)).toEqual([false, true, false]);

    // Idle for 2 s: put to sleep; asleep for 3 s: stopped.
    await llmux.waitForLine((line) => line["model"] === "a" && line["action"] === "sleep" && line["from"] === "awake", 20_000);
    await llmux.waitForLine((line) => line["model"] === "a" && line["to"] === "asleep", 20_000);
    await llmux.waitForLine((line) => line["model"] === "a" && line["action"] === "stop" && line["from"] === "asleep", 20_000);
    await llmux.waitForLine((line) => line["model"] === "a" && line["to"] === "stopped", 20_000);
    // b has no idle timeout: untouched since its wake-up for a.
    expect(Object.fromEntries((await status(url)).models.map((m) => [m.name, m.state]))).toMatchObject({ a: "stopped" });

    // The simulator never saw a request while asleep, nor a sleep with requests running.
    expect(workspace.events().filter((event) => event.event === "crash")).toEqual([]);
    await llmux.stop();
    expect((await llmux.exited).code).toBe(0);
  });

  it("refuses --preload of an unknown model with exit 2", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }]);
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--preload", "a,nope"]);
    expect((await llmux.exited).code).toBe(2);
    expect(llmux.stderr).toMatch(/--preload: unknown model "nope"/);
  });
});
