import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { simConfig, type Workspace } from "../src/testing/index.js";
import { workspacePerTest } from "./helpers/test-kit.js";

let workspace: Workspace;
const sockets: Socket[] = [];
workspacePerTest((created) => {
  workspace = created;
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

/** One request on a connection of its own; resolves with the status and the parsed body. */
function send(url: string, method: string, path: string, body?: string): Promise<{ status: number; body: any; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, agent: false, headers: body === undefined ? {} : { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), at: Date.now() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function chatBody(model: string, padding: number): string {
  return JSON.stringify({ model, messages: [{ role: "user", content: "x".repeat(padding) }], max_tokens: 3 });
}

describe("bounded memory and connections", () => {
  it("refuses a body past max_buffered_bytes at once while others wait for a cold start, and takes it once they are done", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1, env: { VLLM_SIM_STARTUP_MS: "3000" } }], {
      proxy: { max_body_bytes: 800_000, max_buffered_bytes: 1_000_000 },
    });
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    const first = send(url, "POST", "/v1/chat/completions", chatBody("a", 600_000));
    await sleep(300);
    const second = await send(url, "POST", "/v1/chat/completions", chatBody("a", 600_000));
    expect(second.status).toBe(503);
    expect(second.body.error.code).toBe("LLMUX_ERR_CAPACITY");
    expect(second.body.error.message).toContain("buffered request bodies (1000000)");
    const answered = await first;
    expect(answered.status).toBe(200);
    // Refused before the cold start ended, not after waiting for it.
    expect(second.at).toBeLessThan(answered.at);
    expect((await send(url, "POST", "/v1/chat/completions", chatBody("a", 600_000))).status).toBe(200);
  });

  it("past max_connections answers /health but refuses inference with 503 at once", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { proxy: { max_connections: 4 } });
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    const { hostname, port } = new URL(url);
    for (let index = 0; index < 4; index++) {
      const socket = connect(Number(port), hostname);
      sockets.push(socket);
      await new Promise((resolve) => socket.once("connect", resolve));
    }
    await sleep(200);
    const health = await send(url, "GET", "/health");
    expect(health.status).toBe(200);
    const refused = await send(url, "POST", "/v1/chat/completions", chatBody("a", 10));
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("LLMUX_ERR_CAPACITY");
    for (const socket of sockets.splice(0)) socket.destroy();
    await sleep(200);
    expect((await send(url, "POST", "/v1/chat/completions", chatBody("a", 10))).status).toBe(200);
  });

  it("answers /health with 503 while closing instead of refusing connections", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1, env: { VLLM_SIM_TOKENS_PER_SEC: "10" } }]);
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    const slow = send(url, "POST", "/v1/chat/completions", JSON.stringify({ model: "a", messages: [{ role: "user", content: "go" }], max_tokens: 30 }));
    await llmux.waitForLine((line) => line["model"] === "a" && line["to"] === "awake");
    await sleep(300);
    llmux.child.kill("SIGTERM");
    await sleep(300);
    const health = await send(url, "GET", "/health");
    expect(health).toMatchObject({ status: 503, body: { status: "closing" } });
    expect((await slow).status).toBe(200);
    expect((await llmux.exited).code).toBe(0);
  });
});
