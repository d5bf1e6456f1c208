import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { afterEach, expect } from "vitest";
import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { groupAlive } from "../src/process-group.js";
import { VllmServer } from "../src/vllm-server.js";
import type { VllmServerOptions } from "../src/options.js";

const command = simBinPath;

const cleanups: Array<() => Promise<void>> = [];
const pids: number[] = [];

/** Every test file that spawns simulators calls this once: stops them all, removes temp dirs, and proves no process is left. */
export function cleanupAfterEach(): void {
  afterEach(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    const leftovers = pids.splice(0).filter((pid) => groupAlive(pid));
    for (const pid of leftovers) process.kill(-pid, "SIGKILL");
    expect(errors).toEqual([]);
    expect(leftovers, "process groups left behind").toEqual([]);
  });
}

/** Registers extra cleanup work (servers, sockets) that runs after the test, also on failure. */
export function onCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

/** Records every process `server` spawns for the leftover check, and destroys it after the test. */
export function track(server: VllmServer): void {
  server.on("spawn", ({ pid }) => pids.push(pid));
  cleanups.push(() => server.destroy());
}

/**
 * A VllmServer running the simulator on a free port, with its own simulated
 * GPU state dir (so parallel test files do not share GPU memory), the control
 * routes on, short grace and generous timeouts for a loaded machine.
 */
export async function simServer(options: Partial<VllmServerOptions> & { sim?: Record<string, string> } = {}): Promise<VllmServer> {
  const stateDir = mkdtempSync(join(tmpdir(), "vllm-client-test-"));
  const { sim, ...rest } = options;
  const server = new VllmServer({
    name: "test-model",
    modelPath: "/models/test-model",
    port: await freePort(),
    command,
    stopGraceMs: 1_000,
    startupTimeoutMs: 30_000,
    callTimeoutMs: 10_000,
    sleepTimeoutMs: 15_000,
    wakeTimeoutMs: 15_000,
    healthIntervalMs: 25,
    ...rest,
    env: { VLLM_SIM_STATE_DIR: stateDir, VLLM_SIM_CONTROL: "1", ...sim, ...rest.env },
  });
  cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
  track(server);
  return server;
}

/** Arms a simulator fault through its control route. */
export async function armFault(server: VllmServer, fault: string, count = 1): Promise<void> {
  await server.control.request("POST", "/_sim/fault", { json: { fault, count } });
}

/** One deterministic chat answer from the engine. */
export async function ask(server: VllmServer, prompt = "What is the capital of France?"): Promise<string> {
  const socketPath = server.socketPath;
  const dispatcher = socketPath === undefined ? undefined : new Agent({ connect: { socketPath } });
  const response = await request(`${server.url}/v1/chat/completions`, {
    ...(dispatcher === undefined ? {} : { dispatcher }),
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: server.options.name,
      messages: [{ role: "user", content: prompt }],
      max_tokens: 16,
      temperature: 0,
    }),
  });
  const text = await response.body.text();
  await dispatcher?.close();
  expect(response.statusCode, text).toBe(200);
  const body = JSON.parse(text) as { choices: Array<{ message: { content: string } }> };
  const content = body.choices[0]?.message.content;
  expect(typeof content).toBe("string");
  return content ?? "";
}

/** Resolves with the first `exit` of `server`. */
export function nextExit(server: VllmServer): Promise<Parameters<Parameters<VllmServer["onExit"]>[0]>[0]> {
  return new Promise((resolve) => {
    const off = server.onExit((exit) => {
      off();
      resolve(exit);
    });
  });
}
