import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort } from "@llmux/vllm-sim/testing";
import { isLlmuxError } from "@llmux/types";
import { groupAlive } from "../src/process-group.js";
import { VllmServer } from "../src/vllm-server.js";
import { cleanupAfterEach, nextExit, track } from "./helpers.js";

cleanupAfterEach();

const fixture = fileURLToPath(new URL("./__fixtures__/leader-with-worker.sh", import.meta.url));

async function fixtureServer(mode: "die" | "serve"): Promise<VllmServer> {
  const server = new VllmServer({
    name: "fixture",
    modelPath: "/models/fixture",
    port: await freePort(),
    command: fixture,
    env: { FIXTURE_MODE: mode },
    stopGraceMs: 1_000,
    startupTimeoutMs: 60_000,
  });
  track(server);
  return server;
}

function workerStarted(server: VllmServer): Promise<void> {
  return new Promise((resolve) => {
    server.on("log", (line) => {
      if (line.startsWith("worker pid")) resolve();
    });
  });
}

describe("process group", () => {
  it("kills the worker a dying leader leaves behind before start() rejects", async () => {
    const server = await fixtureServer("die");
    const exited = nextExit(server);
    const error = await server.start().catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_START_FAILED")).toBe(true);
    expect((error as Error).message).toContain("leader dying");
    expect(await exited).toMatchObject({ code: 3, expected: false });
    expect(groupAlive(server.pid ?? -1)).toBe(false);
  });

  it("stop() SIGKILLs a worker that ignores SIGTERM after its leader exited", async () => {
    const server = await fixtureServer("serve");
    const started = workerStarted(server);
    const starting = server.start().catch((e: unknown) => e);
    await started;
    const exited = nextExit(server);
    await server.stop();
    expect(groupAlive(server.pid ?? -1)).toBe(false);
    expect(await exited).toMatchObject({ code: 0, expected: true });
    expect(server.lastLines()).toContain("leader got SIGTERM");
    expect(isLlmuxError(await starting, "LLMUX_ERR_ENGINE_STOPPED")).toBe(true);
  });

  it("stop() right after start(), before the spawn, rejects start with LLMUX_ERR_ENGINE_STOPPED and spawns nothing", async () => {
    const server = await fixtureServer("serve");
    let spawned = false;
    server.on("spawn", () => (spawned = true));
    const starting = server.start().catch((e: unknown) => e);
    await server.stop();
    expect(isLlmuxError(await starting, "LLMUX_ERR_ENGINE_STOPPED")).toBe(true);
    expect(spawned).toBe(false);
    expect(server.state).toBe("stopped");
  });
});
