import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { isLlmuxError } from "@llmux/types";
import { groupAlive } from "../src/process-group.js";
import { VllmServer } from "../src/vllm-server.js";
import { freePort } from "@llmux/vllm-sim/testing";
import { armFault, ask, cleanupAfterEach, nextExit, onCleanup, simServer } from "./helpers.js";

cleanupAfterEach();

describe("VllmServer start", () => {
  it("spawns the contract's command line, forwards log lines, and is ready on /health 200", async () => {
    const server = await simServer();
    const lines: string[] = [];
    const spawned: Array<{ pid: number; argv: string[] }> = [];
    const ready: Array<{ version: string | undefined }> = [];
    server.on("log", (line) => lines.push(line));
    server.on("spawn", (info) => spawned.push(info));
    server.on("ready", (info) => ready.push(info));
    await server.start();
    expect(server.running).toBe(true);
    expect(server.state).toBe("running");
    expect(server.version).toBe("0.13.0");
    expect(ready).toEqual([{ version: "0.13.0", durationMs: expect.any(Number) }]);
    expect(spawned).toHaveLength(1);
    expect(spawned[0]?.pid).toBe(server.pid);
    expect(spawned[0]?.argv.slice(1)).toEqual([...server.args]);
    expect(server.args).toContain("--enable-sleep-mode");
    expect(lines.length).toBeGreaterThan(0);
    expect(server.lastLines()).toEqual(lines.slice(-50));
    expect(await ask(server)).not.toBe("");
    // Starting a running server is a no-op.
    await server.start();
    expect(spawned).toHaveLength(1);
  });

  it("rejects with the process's last log lines when it exits before ready", async () => {
    const server = await simServer({
      sim: { VLLM_SIM_FAIL_STARTUP: "Free memory on device (1.2/79.1 GiB) on startup is less than desired GPU memory utilization" },
    });
    const exited = nextExit(server);
    const error = await server.start().catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_START_FAILED")).toBe(true);
    expect((error as Error).message).toContain("less than desired GPU memory utilization");
    expect(error).toMatchObject({ exitCode: 1 });
    const exit = await exited;
    expect(exit).toMatchObject({ code: 1, expected: false });
    expect(exit.lastLines.join("\n")).toContain("less than desired GPU memory utilization");
    expect(server.running).toBe(false);
  });

  it("rejects with LLMUX_ERR_PORT_IN_USE, naming the port, without spawning", async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    onCleanup(() => new Promise((resolve) => blocker.close(() => resolve())));
    const server = await simServer({ port });
    let spawned = false;
    server.on("spawn", () => (spawned = true));
    const error = await server.start().catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_PORT_IN_USE")).toBe(true);
    expect((error as Error).message).toContain(String(port));
    expect(spawned).toBe(false);
    expect(server.state).toBe("idle");
  });

  it("kills the group and rejects with LLMUX_ERR_START_TIMEOUT when never ready", async () => {
    const server = await simServer({ startupTimeoutMs: 1_000, sim: { VLLM_SIM_STARTUP_MS: "120000" } });
    const exited = nextExit(server);
    const error = await server.start().catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_START_TIMEOUT")).toBe(true);
    const exit = await exited;
    expect(exit.expected).toBe(true);
    expect(groupAlive(server.pid ?? -1)).toBe(false);
  });

  it("rejects with LLMUX_ERR_START_FAILED when the command does not exist", async () => {
    const server = new VllmServer({ name: "x", modelPath: "/m", port: await freePort(), command: "/nonexistent/vllm" });
    const error = await server.start().catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_START_FAILED")).toBe(true);
    expect((error as Error).message).toContain("/nonexistent/vllm");
  });

  it("an aborted start() kills the group and rejects with LLMUX_ERR_ABORTED", async () => {
    const server = await simServer({ sim: { VLLM_SIM_STARTUP_MS: "120000" } });
    const controller = new AbortController();
    server.once("spawn", () => setTimeout(() => controller.abort(new Error("client went away")), 100));
    const exited = nextExit(server);
    const error = await server.start({ signal: controller.signal }).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_ABORTED")).toBe(true);
    expect((await exited).expected).toBe(true);
    expect(groupAlive(server.pid ?? -1)).toBe(false);
  });

  it("stop() during start() makes start reject with LLMUX_ERR_ENGINE_STOPPED and leaves nothing", async () => {
    const server = await simServer({ sim: { VLLM_SIM_STARTUP_MS: "120000" } });
    const spawned = new Promise<void>((resolve) => server.once("spawn", () => resolve()));
    const starting = server.start().catch((e: unknown) => e);
    await spawned;
    await server.stop();
    const error = await starting;
    expect(isLlmuxError(error, "LLMUX_ERR_ENGINE_STOPPED")).toBe(true);
    expect(groupAlive(server.pid ?? -1)).toBe(false);
    expect(server.state).toBe("stopped");
  });
});

describe("VllmServer stop and exit", () => {
  it("stops gracefully, idempotently, with an expected exit event; later calls reject ENGINE_STOPPED", async () => {
    const server = await simServer();
    await server.start();
    const exits: unknown[] = [];
    server.onExit((exit) => exits.push(exit));
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    expect(exits).toEqual([{ code: expect.toBeOneOf([0, null]), signal: expect.toBeOneOf(["SIGTERM", null]), expected: true, lastLines: expect.any(Array) }]);
    expect(groupAlive(server.pid ?? -1)).toBe(false);
    expect(server.running).toBe(false);
    const error = await server.sleep(1).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_ENGINE_STOPPED")).toBe(true);
  });

  it("SIGKILLs a child that ignores SIGTERM after the grace period", async () => {
    const server = await simServer({ stopGraceMs: 500, sim: { VLLM_SIM_IGNORE_SIGTERM: "1" } });
    await server.start();
    const exited = nextExit(server);
    await server.stop();
    expect(await exited).toMatchObject({ code: null, signal: "SIGKILL", expected: true });
    expect(groupAlive(server.pid ?? -1)).toBe(false);
  });

  it("notices a crash as an unexpected exit event; calls then reject with LLMUX_ERR_ENGINE_EXITED", async () => {
    const server = await simServer();
    await server.start();
    const exited = nextExit(server);
    await armFault(server, "crash").catch(() => undefined);
    const exit = await exited;
    expect(exit.expected).toBe(false);
    expect(exit.code !== 0 || exit.signal !== null).toBe(true);
    expect(server.running).toBe(false);
    expect(server.state).toBe("exited");
    const error = await server.wakeUp(1).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_ENGINE_EXITED")).toBe(true);
    await server.stop();
    expect(groupAlive(server.pid ?? -1)).toBe(false);
  });

  it("can start again after a stop", async () => {
    const server = await simServer();
    await server.start();
    const firstPid = server.pid;
    await server.stop();
    await server.start();
    expect(server.running).toBe(true);
    expect(server.pid).not.toBe(firstPid);
    expect(await ask(server)).not.toBe("");
  });

  it("warns when /version is in the broken-sleep range", async () => {
    const server = await simServer({ sim: { VLLM_SIM_VERSION: "0.15.1" } });
    const warnings: Array<{ code: string }> = [];
    server.on("warning", (warning) => warnings.push(warning));
    await server.start();
    expect(server.version).toBe("0.15.1");
    expect(warnings.map((warning) => warning.code)).toEqual(["LLMUX_WARN_BROKEN_SLEEP_VERSION"]);
  });
});
