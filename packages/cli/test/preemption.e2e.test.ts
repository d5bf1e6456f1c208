import { describe, expect, it } from "vitest";
import { type Workspace, waitGone } from "../src/testing/index.js";
import { pausingConfig, postChat, workspacePerTest } from "./helpers/test-kit.js";

let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

interface ModelStatus {
  name: string;
  in_flight: number;
  paused: number;
}

async function modelStatus(url: string, model: string): Promise<ModelStatus | undefined> {
  const status = (await (await fetch(`${url}/llmux/status`)).json()) as { models: ModelStatus[] };
  return status.models.find((entry) => entry.name === model);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("llmux shutdown with paused requests (built binary, vllm-sim)", () => {
  it("on SIGTERM a paused stream gets an error event and [DONE], a paused JSON request a 503; exits 0 and leaves no process", async () => {
    // m2 starts slowly: m1's requests are still paused when llmux is told to stop.
    const config = await pausingConfig(workspace, 8000, { proxy: { shutdown_grace_secs: 1 } });
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    const post = (model: string, body: Record<string, unknown>) => postChat(url, model, body);
    const long = { max_tokens: 200, temperature: 0, ignore_eos: true };
    const stream = post("m1", { ...long, stream: true });
    const json = post("m1", long);
    await until("two requests in flight on m1", async () => (await modelStatus(url, "m1"))?.in_flight === 2);
    const other = post("m2", { max_tokens: 3 });
    await until("both requests paused", async () => (await modelStatus(url, "m1"))?.paused === 2);
    const pids = workspace.simPids();
    expect(pids.length).toBeGreaterThan(0);

    llmux.child.kill("SIGTERM");
    const streamed = await (await stream).text();
    expect(streamed).toMatch(/data: \{"error":\{[^\n]*"code":"LLMUX_ERR_SHUTTING_DOWN"/);
    expect(streamed.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const answer = await json;
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("LLMUX_ERR_SHUTTING_DOWN");
    expect((await other).status).toBe(503);
    expect(await llmux.exited).toEqual({ code: 0, signal: null });
    expect(await waitGone(workspace.simPids())).toEqual([]);
  }, 90_000);
});
