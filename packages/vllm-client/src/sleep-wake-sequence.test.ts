import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { VllmControlClient } from "./control-client.js";
import { isLlmuxError } from "@llmux/types";
import { runSleepSequence, runWakeSequence } from "./sleep-wake-sequence.js";

const timeouts = { sleepTimeoutMs: 5_000, wakeTimeoutMs: 5_000, callTimeoutMs: 5_000 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A peer that answers each route from `answers` (status, body), 200 with an empty body otherwise, and records the order. */
async function peer(answers: Record<string, [number, string]> = {}): Promise<{ control: VllmControlClient; seen: string[] }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const key = `${req.method} ${req.url}`;
      seen.push(key);
      const [status, body] =
        answers[key] ?? (req.url === "/is_sleeping" ? [200, `{"is_sleeping":false}`] : req.url === "/collective_rpc" ? [200, `{"results":[null]}`] : [200, ""]);
      res.statusCode = status;
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const control = new VllmControlClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { retries: 0 });
  cleanups.push(async () => {
    await control.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { control, seen };
}

/** A clock that advances 10 ms each time it is read. */
function steppingClock(): () => number {
  let now = 1_000;
  return () => (now += 10);
}

describe("runWakeSequence", () => {
  it("level 2 calls weights, reload_weights, kv_cache, reset_prefix_cache, is_sleeping in order and times each", async () => {
    const { control, seen } = await peer();
    const report = await runWakeSequence(control, 2, { resume: false, timeouts, now: steppingClock() });
    expect(seen).toEqual(["POST /wake_up?tags=weights", "POST /collective_rpc", "POST /wake_up?tags=kv_cache", "POST /reset_prefix_cache", "GET /is_sleeping"]);
    expect(report.calls.map((call) => call.durationMs)).toEqual([10, 10, 10, 10, 10]);
    // started at the first read, finished at the last: 5 calls × 2 reads + 1 = 11 steps.
    expect(report.durationMs).toBe(110);
    expect(report).toMatchObject({ level: 2, resumed: false });
  });

  it("level 1 with resume calls wake_up, is_sleeping, resume", async () => {
    const { control, seen } = await peer();
    await runWakeSequence(control, 1, { resume: true, timeouts, now: steppingClock() });
    expect(seen).toEqual(["POST /wake_up", "GET /is_sleeping", "POST /resume"]);
  });

  it("fails with LLMUX_ERR_WAKE_FAILED when is_sleeping is still true, without resuming", async () => {
    const { control, seen } = await peer({ "GET /is_sleeping": [200, `{"is_sleeping":true}`] });
    const error = await runWakeSequence(control, 1, { resume: true, timeouts }).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_WAKE_FAILED")).toBe(true);
    expect((error as Error).message).toContain("is_sleeping=true");
    expect(seen).not.toContain("POST /resume");
  });

  it("stops at the first failing call (a 400 from reload_weights) with the HTTP error as cause", async () => {
    const { control, seen } = await peer({ "POST /collective_rpc": [400, `{"error":{"message":"bad","code":400}}`] });
    const error = await runWakeSequence(control, 2, { resume: false, timeouts }).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_WAKE_FAILED")).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: "LLMUX_ERR_CONTROL_HTTP", responseStatus: 400 });
    expect(seen).toEqual(["POST /wake_up?tags=weights", "POST /collective_rpc"]);
  });
});

describe("runSleepSequence", () => {
  it("pauses first when asked, then sleeps at the level", async () => {
    const { control, seen } = await peer();
    const report = await runSleepSequence(control, 2, { pauseFirst: true, timeouts, now: steppingClock() });
    expect(seen).toEqual(["POST /pause?wait_for_inflight_requests=true", "POST /sleep?level=2"]);
    expect(report).toMatchObject({ level: 2, paused: true, durationMs: 50 });
  });

  it("maps a 500 to LLMUX_ERR_SLEEP_FAILED", async () => {
    const { control } = await peer({ "POST /sleep?level=1": [500, "Internal Server Error"] });
    const error = await runSleepSequence(control, 1, { pauseFirst: false, timeouts }).catch((e: unknown) => e);
    expect(isLlmuxError(error, "LLMUX_ERR_SLEEP_FAILED")).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: "LLMUX_ERR_CONTROL_HTTP", responseStatus: 500 });
  });
});
