import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { isAlive } from "../src/proc-info.js";
import { StateFile } from "../src/state-file.js";
import { simConfig, waitGone, type Workspace } from "../src/testing/index.js";
import { chat, workspacePerTest } from "./helpers/test-kit.js";

let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

async function streamToEnd(url: string, model: string, maxTokens: number): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "go" }], max_tokens: maxTokens, stream: true }),
    signal: AbortSignal.timeout(120_000),
  });
  return { status: response.status, text: await response.text() };
}

describe("llmux shutdown and orphan reaping", () => {
  it("on SIGTERM during traffic lets in-flight requests finish, exits 0 and leaves no process", async () => {
    const config = await simConfig(
      workspace,
      [
        { name: "a", sleepLevel: 1, env: { VLLM_SIM_TOKENS_PER_SEC: "40" } },
        { name: "b", sleepLevel: 2, env: { VLLM_SIM_TOKENS_PER_SEC: "40" } },
      ],
      { proxy: { shutdown_grace_secs: 30 } },
    );
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    // Both models have a process (one asleep), and a stream is in flight.
    expect((await chat(url, "b")).status).toBe(200);
    const streams = [streamToEnd(url, "a", 40), streamToEnd(url, "a", 40)];
    await llmux.waitForLine((line) => line["model"] === "a" && line["to"] === "awake");
    await sleep(200);
    const pids = workspace.simPids();
    expect(pids.length).toBe(2);

    llmux.child.kill("SIGTERM");
    const exit = await llmux.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    for (const stream of await Promise.all(streams)) {
      expect(stream.status).toBe(200);
      expect(stream.text.trimEnd().endsWith("data: [DONE]")).toBe(true);
      expect(stream.text).not.toContain('"error"');
    }
    expect(await waitGone(pids, 10_000)).toEqual([]);
    expect(existsSync(workspace.stateFile)).toBe(false);
    expect(llmux.lines.some((line) => line.msg === "shutdown complete")).toBe(true);
  });

  it("a second signal forces the shutdown and still leaves no process", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1, env: { VLLM_SIM_TOKENS_PER_SEC: "5" } }], {
      proxy: { shutdown_grace_secs: 60 },
    });
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    // A stream that would take 20 s.
    const stream = streamToEnd(url, "a", 100).catch((error: unknown) => ({ status: 0, text: String(error) }));
    await llmux.waitForLine((line) => line["model"] === "a" && line["to"] === "awake");
    await sleep(300);
    const pids = workspace.simPids();
    llmux.child.kill("SIGTERM");
    await llmux.waitForLine((line) => line.msg.startsWith("shutting down"));
    llmux.child.kill("SIGINT");
    const exit = await llmux.exited;
    expect(exit.code).toBe(1);
    await stream;
    expect(await waitGone(pids, 10_000)).toEqual([]);
  });

  it("stops the vLLM processes a crashed llmux left behind, at the next start", async () => {
    const config = await simConfig(workspace, [
      { name: "a", sleepLevel: 1 },
      { name: "b", sleepLevel: 1 },
    ]);
    const configPath = workspace.writeConfig(config);
    const first = workspace.start(["--config", configPath]);
    const url = await first.listening();
    expect((await chat(url, "a")).status).toBe(200);
    expect((await chat(url, "b")).status).toBe(200);
    const orphans = workspace.simPids();
    expect(orphans.length).toBe(2);
    expect(
      StateFile.read(workspace.stateFile)
        ?.processes.map((record) => record.pid)
        .sort(),
    ).toEqual([...orphans].sort());

    // A crash: no chance to clean up.
    first.child.kill("SIGKILL");
    await first.exited;
    await sleep(300);
    expect(orphans.every((pid) => isAlive(pid))).toBe(true);

    const second = workspace.start(["--config", configPath]);
    const secondUrl = await second.listening();
    expect(await waitGone(orphans, 10_000)).toEqual([]);
    const reaped = second.lines.filter((line) => line.msg === "stopped an orphaned vLLM process group");
    expect(reaped.map((line) => line["pid"]).sort()).toEqual([...orphans].sort());
    // The new llmux serves normally on the ports the orphans held.
    expect((await chat(secondUrl, "a")).body.model).toBe("a");
    await second.stop();
    expect((await second.exited).code).toBe(0);
  });

  it("refuses to start while another live llmux owns the state file", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }]);
    const configPath = workspace.writeConfig(config);
    const first = workspace.start(["--config", configPath]);
    const url = await first.listening();
    expect((await chat(url, "a")).status).toBe(200);
    const pids = workspace.simPids();

    const second = workspace.start(["--config", configPath, "--port", String((config["port"] as number) + 1)]);
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stdout).toContain(`another llmux (pid ${first.pid})`);
    // The first one's model was not touched.
    expect(pids.every((pid) => isAlive(pid))).toBe(true);
    expect((await chat(url, "a")).status).toBe(200);
  });
});
