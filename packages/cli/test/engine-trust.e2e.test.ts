import { createServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { simConfig, type Workspace } from "../src/testing/index.js";
import { chat, workspacePerTest } from "./helpers/test-kit.js";

let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

/** The simulators' events of one kind. */
function simEvents(kind: string) {
  return workspace.events().filter((event) => event.event === kind);
}

/** Start a stream, read its first bytes, then go away mid-stream. */
async function abandonStream(url: string, model: string): Promise<void> {
  const controller = new AbortController();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "go" }], max_tokens: 200, stream: true }),
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  await reader.read();
  await reader.read();
  controller.abort();
}

describe("llmux and its engines", () => {
  it("switches after the last client went away mid-stream without crashing the engine that still ran its request", async () => {
    // vLLM notices an abort at its next step; /sleep before that kills v0.13. The sim models both.
    const slow = { VLLM_SIM_TOKENS_PER_SEC: "20", VLLM_SIM_ABORT_NOTICE_MS: "200" };
    const config = await simConfig(workspace, [
      { name: "a", sleepLevel: 1, env: slow },
      { name: "b", sleepLevel: 1, env: slow },
    ]);
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    expect((await chat(url, "b")).status).toBe(200);
    for (const [from, to] of [
      ["a", "b"],
      ["b", "a"],
      ["a", "b"],
      ["b", "a"],
    ] as const) {
      await abandonStream(url, from);
      // The switch starts the moment the drain sees no lease left.
      expect((await chat(url, to)).status).toBe(200);
    }
    expect(simEvents("crash")).toEqual([]);
    // Every switch was a sleep and a wake, never a cold start after a crash: two processes in all.
    expect(new Set(simEvents("ready").map((event) => event["pid"])).size).toBe(2);
  });

  it("refuses to adopt another process's server that answers on the model's port", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1, env: { VLLM_SIM_STARTUP_MS: "3000" } }]);
    const port = (config["models"] as Record<string, { port: number }>)["a"]!.port;
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    let foreignHits = 0;
    const foreign = createServer((req, res) => {
      if (req.url !== "/health") foreignHits++;
      res.end(JSON.stringify({ version: "0.13.0" }));
    });
    try {
      const answer = chat(url, "a");
      // While the engine loads, another server takes the port (vLLM binds with SO_REUSEPORT, so it could too).
      await sleep(500);
      await new Promise<void>((resolve) => foreign.listen(port, "127.0.0.1", resolve));
      const { status, body } = await answer;
      expect(status).toBeGreaterThanOrEqual(500);
      expect(body.error.code).toBe("LLMUX_ERR_MODEL_START_FAILED");
      expect(body.error.message).toContain(`another process listens on 127.0.0.1:${port}`);
      expect(foreignHits).toBe(0);
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  });

  it("loses no request to vLLM closing an idle kept-alive connection as llmux reuses it", async () => {
    // uvicorn closes idle connections after 5 s; at 0.5 s the race is frequent enough to see in a short run.
    const config = await simConfig(workspace, [
      { name: "a", sleepLevel: 1, env: { VLLM_SIM_KEEPALIVE_MS: "500" } },
      { name: "b", sleepLevel: 1, env: { VLLM_SIM_KEEPALIVE_MS: "500" } },
    ]);
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    const statuses: number[] = [];
    for (let index = 0; index < 40; index++) {
      // Gaps around the engine's idle close; every tenth request switches models (control calls on idle connections too).
      const model = Math.floor(index / 10) % 2 === 0 ? "a" : "b";
      statuses.push((await chat(url, model)).status);
      await sleep(495 + (index % 7) * 2);
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(simEvents("crash")).toEqual([]);
  });
});
