import { describe, expect, it } from "vitest";
import { isLlmuxError } from "@llmux/types";
import { armFault, ask, cleanupAfterEach, simServer } from "./helpers.js";

cleanupAfterEach();

const routes = (calls: Array<{ route: string }> | undefined): string[] => (calls ?? []).map((call) => call.route);

describe("VllmServer sleep and wake", () => {
  it("level 1: sleeps, wakes with /wake_up, and answers as before", async () => {
    const server = await simServer();
    await server.start();
    const reference = await ask(server);
    await server.sleep(1);
    expect(await server.control.isSleeping()).toBe(true);
    await server.wakeUp(1);
    // Without pauseFirst, vLLM's running-requests gauge must read 0 before /sleep (vLLM #28714).
    expect(routes(server.lastSleep?.calls)).toEqual(["GET /metrics (until no request runs)", "POST /sleep?level=1"]);
    expect(routes(server.lastWake?.calls)).toEqual(["POST /wake_up", "GET /is_sleeping"]);
    expect(await server.control.isSleeping()).toBe(false);
    expect(await ask(server)).toBe(reference);
  });

  it("level 2: wakes with weights, reload_weights, kv_cache, reset_prefix_cache and answers as before", async () => {
    const server = await simServer();
    await server.start();
    const reference = await ask(server);
    const wakes: Array<{ calls: Array<{ route: string; durationMs: number }> }> = [];
    server.on("wake", (report) => wakes.push(report));
    await server.sleep(2);
    await server.wakeUp(2);
    expect(routes(wakes[0]?.calls)).toEqual([
      "POST /wake_up?tags=weights",
      "POST /collective_rpc reload_weights",
      "POST /wake_up?tags=kv_cache",
      "POST /reset_prefix_cache",
      "GET /is_sleeping",
    ]);
    for (const call of wakes[0]?.calls ?? []) expect(call.durationMs).toBeGreaterThanOrEqual(0);
    expect(await ask(server)).toBe(reference);
  });

  it("a level-2 wake without reload_weights would have produced gibberish", async () => {
    const server = await simServer();
    await server.start();
    const reference = await ask(server);
    await server.sleep(2);
    // By hand, the way a naive client wakes: all tags at once, no reload (vLLM #29341).
    await server.control.wakeUp();
    expect(await server.control.isSleeping()).toBe(false);
    expect(await ask(server)).not.toBe(reference);
  });

  it("pauseFirst pauses before /sleep and resumes after the next wake", async () => {
    const server = await simServer();
    await server.start();
    await server.sleep(1, { pauseFirst: true });
    expect(routes(server.lastSleep?.calls)).toEqual(["POST /pause?wait_for_inflight_requests=true", "POST /sleep?level=1"]);
    await server.wakeUp(1);
    expect(routes(server.lastWake?.calls)).toEqual(["POST /wake_up", "GET /is_sleeping", "POST /resume"]);
    expect(await server.control.isPaused()).toBe(false);
    await ask(server);
  });

  it("a failing /sleep rejects with LLMUX_ERR_SLEEP_FAILED caused by the HTTP error", async () => {
    const server = await simServer();
    await server.start();
    await armFault(server, "fail_sleep");
    const error = await server.sleep(1).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_SLEEP_FAILED")).toBe(true);
    expect(isLlmuxError((error as Error).cause, "LLMUX_ERR_CONTROL_HTTP")).toBe(true);
  });

  it("a hanging /sleep rejects with LLMUX_ERR_SLEEP_TIMEOUT instead of hanging the caller", async () => {
    const server = await simServer({ sleepTimeoutMs: 1_000 });
    await server.start();
    await armFault(server, "hang_sleep");
    const error = await server.sleep(1).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_SLEEP_TIMEOUT")).toBe(true);
    expect(isLlmuxError((error as Error).cause, "LLMUX_ERR_CONTROL_TIMEOUT")).toBe(true);
  });

  it("a failing /wake_up rejects with LLMUX_ERR_WAKE_FAILED", async () => {
    const server = await simServer();
    await server.start();
    await server.sleep(1);
    await armFault(server, "fail_wake");
    const error = await server.wakeUp(1).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_WAKE_FAILED")).toBe(true);
  });

  it("a failing reload_weights rejects the level-2 wake with LLMUX_ERR_WAKE_FAILED", async () => {
    const server = await simServer();
    await server.start();
    await server.sleep(2);
    await armFault(server, "fail_reload");
    const error = await server.wakeUp(2).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_WAKE_FAILED")).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: "LLMUX_ERR_CONTROL_HTTP", route: "/collective_rpc" });
  });

  it("a hanging wake call rejects with LLMUX_ERR_WAKE_TIMEOUT", async () => {
    const server = await simServer({ wakeTimeoutMs: 1_000 });
    await server.start();
    await server.sleep(2);
    await armFault(server, "hang_reload");
    const error = await server.wakeUp(2).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_WAKE_TIMEOUT")).toBe(true);
  });

  it("stop() cuts a hanging sleep at once with LLMUX_ERR_ENGINE_STOPPED", async () => {
    const server = await simServer({ sleepTimeoutMs: 120_000 });
    await server.start();
    await armFault(server, "hang_sleep");
    const sleeping = server.sleep(1).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.stop();
    expect(isLlmuxError(await sleeping, "LLMUX_ERR_ENGINE_STOPPED")).toBe(true);
  });

  it("a crash during a call rejects it with LLMUX_ERR_ENGINE_EXITED", async () => {
    const server = await simServer({ sleepTimeoutMs: 120_000 });
    await server.start();
    await armFault(server, "hang_sleep");
    const sleeping = server.sleep(1).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(server.pid ?? -1, "SIGKILL");
    const error = await sleeping;
    expect(isLlmuxError(error, "LLMUX_ERR_ENGINE_EXITED")).toBe(true);
    expect(error).toMatchObject({ signal: "SIGKILL" });
  });

  it("sleep() before start() rejects with LLMUX_ERR_ENGINE_STATE", async () => {
    const server = await simServer();
    expect(isLlmuxError(await server.sleep(1).catch((e: unknown) => e), "LLMUX_ERR_ENGINE_STATE")).toBe(true);
  });
});
