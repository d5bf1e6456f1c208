import { mkdtempSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { UpstreamAgents } from "../src/upstream-agents.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An HTTP server on a Unix socket that answers with its own name. */
async function socketServer(name: string): Promise<{ socketPath: string; server: Server }> {
  const dir = mkdtempSync(join(tmpdir(), "llmux-ua-"));
  const socketPath = join(dir, "vllm.sock");
  const server = createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  return { socketPath, server };
}

async function get(agents: UpstreamAgents, endpoint: { model: string; url: string; socketPath?: string }): Promise<string> {
  const response = await agents.dispatcherFor(endpoint).request({ origin: endpoint.url, path: "/", method: "GET" });
  return response.body.text();
}

describe("UpstreamAgents", () => {
  it("reaches each engine over its own socket, and forgets a socket once its engine exits or moves", async () => {
    const agents = new UpstreamAgents(4000);
    cleanups.push(() => agents.destroy());
    const first = await socketServer("first");
    const second = await socketServer("second");
    const other = await socketServer("other");
    expect(await get(agents, { model: "a", url: "http://localhost", socketPath: first.socketPath })).toBe("first");
    expect(await get(agents, { model: "b", url: "http://localhost", socketPath: other.socketPath })).toBe("other");
    const firstAgent = agents.dispatcherFor({ model: "a", url: "http://localhost", socketPath: first.socketPath }) as Agent;
    expect(agents.socketEndpoint("a")?.dispatcher).toBe(firstAgent);
    // A restarted engine serves on a new socket: the old socket's agent is destroyed, the new one used.
    expect(await get(agents, { model: "a", url: "http://localhost", socketPath: second.socketPath })).toBe("second");
    expect(firstAgent.destroyed).toBe(true);
    expect(agents.socketEndpoint("a")?.dispatcher).not.toBe(firstAgent);
    const otherAgent = agents.dispatcherFor({ model: "b", url: "http://localhost", socketPath: other.socketPath }) as Agent;
    agents.engineGone("b");
    expect(otherAgent.destroyed).toBe(true);
    expect(agents.socketEndpoint("b")).toBeUndefined();
    // An engine on TCP has no socket endpoint: the engine-load reader takes its port from the config.
    expect(agents.socketEndpoint("c")).toBeUndefined();
  });
});
