import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { SimExitedError, SimReadyTimeoutError } from "../src/errors.js";
import { isAlive } from "../src/gpu/gpu-records.js";
import { readSimEvents, spawnSim } from "../src/testing/index.js";

describe("@llmux/vllm-sim/testing", () => {
  it("spawnSim waits for /health, and stop() kills (SIGKILL fallback) and removes its temp dirs", async () => {
    const sim = await spawnSim({ model: "m", knobs: { "ignore-sigterm": 1 } });
    try {
      expect((await fetch(`${sim.url}/health`)).status).toBe(200);
      expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
      expect((await sim.control.stats()).model).toBe("m");
      expect(existsSync(sim.stateDir)).toBe(true);
    } finally {
      await sim.stop({ graceMs: 300 });
    }
    expect(isAlive(sim.pid)).toBe(false);
    expect((await sim.exited).signal).toBe("SIGKILL");
    expect(existsSync(dirname(sim.eventLogPath))).toBe(false);
    expect(sim.events()[0]?.event).toBe("ready");
    await sim.stop(); // idempotent
  });

  it("destroy() kills at once; timings become --sim flags", async () => {
    const sim = await spawnSim({ model: "m", timings: { ttftMs: 7, tokensPerSec: 1000 } });
    expect(sim.child.spawnargs).toEqual(expect.arrayContaining(["--sim-ttft-ms", "7", "--sim-tokens-per-sec", "1000"]));
    await sim.destroy();
    expect((await sim.exited).signal).toBe("SIGKILL");
    await sim.stop();
  });

  it("spawnSim rejects with a coded error when the sim exits before ready, and cleans up", async () => {
    const failure = await spawnSim({ knobs: { "fail-startup": "boom" } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SimExitedError);
    expect((failure as SimExitedError).code).toBe("LLMUX_ERR_SIM_EXITED");
    expect((failure as SimExitedError).message).toContain("boom");
  });

  it("spawnSim rejects with a timeout error when not ready in time", async () => {
    const failure = await spawnSim({ knobs: { "startup-ms": 60_000 }, readyTimeoutMs: 300 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SimReadyTimeoutError);
    expect((failure as SimReadyTimeoutError).code).toBe("LLMUX_ERR_SIM_READY_TIMEOUT");
  });

  it("readSimEvents treats a missing file as empty", () => {
    expect(readSimEvents("/nonexistent/vllm-sim/events.jsonl")).toEqual([]);
  });
});
