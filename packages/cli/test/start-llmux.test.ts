import { existsSync, writeFileSync } from "node:fs";
import { parseConfig } from "@llmux/core";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig as parseConfigFromCli } from "../src/index.js";
import { startLlmux, type RunningLlmux } from "../src/start-llmux.js";
import { simConfig, waitGone, type Workspace } from "../src/testing/index.js";
import { captureLogger, chat, workspacePerTest } from "./helpers/test-kit.js";

let workspace: Workspace;
let running: RunningLlmux | undefined;
workspacePerTest((created) => {
  workspace = created;
});
afterEach(async () => {
  await running?.destroy();
  running = undefined;
});

describe("startLlmux (embedded)", () => {
  it("serves, records its engines, and close() stops them without touching process signals", async () => {
    const signalListeners = process.listenerCount("SIGTERM") + process.listenerCount("SIGINT");
    const config = parseConfig(
      await simConfig(
        workspace,
        [
          { name: "a", sleepLevel: 1 },
          { name: "b", sleepLevel: 2 },
        ],
        { metrics_port: 0 },
      ),
    );
    const { logger, lines } = captureLogger("debug");
    running = await startLlmux(config, { logger, stateFile: workspace.stateFile });
    expect(running.url).toBe(`http://127.0.0.1:${config.port}`);
    expect(running.metricsUrl).toBeUndefined();
    expect(process.listenerCount("SIGTERM") + process.listenerCount("SIGINT")).toBe(signalListeners);

    expect((await chat(running.url, "a")).body.model).toBe("a");
    expect((await chat(running.url, "b")).body.model).toBe("b");
    const pids = workspace.simPids();
    expect(pids).toHaveLength(2);
    expect(existsSync(workspace.stateFile)).toBe(true);
    expect(lines.some((line) => line["msg"] === "POST /v1/chat/completions b 200" || String(line["msg"]).startsWith("POST /v1/chat/completions b 200"))).toBe(
      true,
    );

    const first = running.close();
    const second = running.close();
    await Promise.all([first, second, running.closed]);
    expect(await waitGone(pids, 10_000)).toEqual([]);
    expect(existsSync(workspace.stateFile)).toBe(false);
    await running.destroy(); // idempotent after close
  });

  it("with port 0, binds a free port and reports it in url; the config comes from @llmux/cli alone", async () => {
    const config = parseConfigFromCli(await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { port: 0 }));
    expect(config.port).toBe(0);
    running = await startLlmux(config, { logger: captureLogger("debug").logger, stateFile: workspace.stateFile });
    const port = Number(new URL(running.url).port);
    expect(port).toBeGreaterThan(0);
    expect((await chat(running.url, "a")).body.model).toBe("a");
  });

  it("with handleSignals, installs handlers and removes them when closed", async () => {
    const before = process.listenerCount("SIGTERM");
    const config = parseConfig(await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { metrics_port: 0 }));
    running = await startLlmux(config, { logger: captureLogger("debug").logger, stateFile: workspace.stateFile, handleSignals: true });
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    await running.close();
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });

  it("rejects with LLMUX_ERR_STARTUP when the port is taken, and leaves nothing behind", async () => {
    const config = parseConfig(await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { metrics_port: 0 }));
    running = await startLlmux(config, { logger: captureLogger("debug").logger, stateFile: false });
    await expect(startLlmux(config, { logger: captureLogger("debug").logger, stateFile: `${workspace.dir}/other.json` })).rejects.toMatchObject({
      code: "LLMUX_ERR_STARTUP",
    });
    expect(existsSync(`${workspace.dir}/other.json`)).toBe(false);
  });

  it("runs without the record when the default state file cannot be written, but not when one is given", async () => {
    const config = parseConfig(await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { metrics_port: 0 }));
    const blocker = `${workspace.dir}/not-a-folder`;
    writeFileSync(blocker, "");
    await expect(startLlmux(config, { logger: captureLogger("debug").logger, stateFile: `${blocker}/state.json` })).rejects.toMatchObject({
      code: "LLMUX_ERR_STATE_FILE",
    });

    const previous = process.env["LLMUX_STATE_FILE"];
    process.env["LLMUX_STATE_FILE"] = `${blocker}/state.json`;
    try {
      const { logger, lines } = captureLogger("debug");
      running = await startLlmux(config, { logger });
      expect(lines.some((line) => String(line["msg"]).startsWith("cannot write the state file"))).toBe(true);
      expect((await chat(running.url, "a")).body.model).toBe("a");
      await running.close();
    } finally {
      if (previous === undefined) delete process.env["LLMUX_STATE_FILE"];
      else process.env["LLMUX_STATE_FILE"] = previous;
    }
  });

  it("logs core's config warnings at start", async () => {
    const raw = await simConfig(
      workspace,
      [
        { name: "a", sleepLevel: 1 },
        { name: "b", sleepLevel: 1 },
      ],
      { metrics_port: 0 },
    );
    for (const model of Object.values(raw["models"] as Record<string, Record<string, unknown>>)) model["gpu_memory_utilization"] = 0.995;
    const { logger, lines } = captureLogger("debug");
    running = await startLlmux(parseConfig(raw), { logger, stateFile: false });
    const warnings = lines.filter((line) => line["config_check"] === true);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]?.["level"]).toBe(40);
    await running.close();
  });
});
