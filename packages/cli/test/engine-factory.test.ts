import { parseConfig } from "@llmux/core";
import { afterEach, describe, expect, it } from "vitest";
import { createVllmEngineFactory } from "../src/engine-factory.js";
import { readStartTime } from "../src/proc-info.js";
import { StateFile } from "../src/state-file.js";
import { isPhaseLine } from "../src/vllm-phase-lines.js";
import { simConfig, type Workspace } from "../src/testing/index.js";
import { captureLogger, workspacePerTest } from "./helpers/test-kit.js";

let workspace: Workspace;
let stop: (() => Promise<void>) | undefined;
workspacePerTest((created) => {
  workspace = created;
});
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe("createVllmEngineFactory", () => {
  it("records the process in the state file, logs start-up progress and milestones, and forgets it on exit", async () => {
    const raw = await simConfig(workspace, [{ name: "a", sleepLevel: 1, env: { VLLM_SIM_STARTUP_MS: "1200" } }]);
    const config = parseConfig(raw);
    const stateFile = new StateFile(workspace.stateFile, { pid: process.pid });
    const { logger, lines } = captureLogger();
    const engine = createVllmEngineFactory({ logger, stateFile, progressIntervalMs: 300 })("a", config.models["a"]!, config);
    stop = () => engine.stop();
    await engine.start();

    const [record] = StateFile.read(workspace.stateFile)?.processes ?? [];
    expect(record?.model).toBe("a");
    expect(record?.pgid).toBe(record?.pid);
    expect(record?.startTime).toBe(readStartTime(record?.pid ?? -1));
    expect(record?.argv.slice(1, 3)).toEqual(["serve", "org/a"]);

    const messages = lines.map((line) => line["msg"]);
    expect(messages).toContain("vLLM process started");
    expect(messages).toContain("vLLM still starting");
    expect(messages.some((msg) => String(msg).startsWith("Loading weights took"))).toBe(true);
    expect(messages).toContain("Application startup complete.");
    expect(messages).toContain("vLLM ready");
    // Without vllm_logging, ordinary vLLM lines are not forwarded.
    const forwarded = lines.filter((line) => line["vllm"] === true);
    expect(forwarded.every((line) => isPhaseLine(String(line["msg"])))).toBe(true);

    await engine.stop();
    expect(StateFile.read(workspace.stateFile)?.processes).toEqual([]);
    expect(lines.some((line) => line["msg"] === "vLLM process stopped")).toBe(true);
  });

  it("forwards every vLLM line with the model label when vllm_logging is true", async () => {
    const raw = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { vllm_logging: true });
    const config = parseConfig(raw);
    const { logger, lines } = captureLogger();
    const engine = createVllmEngineFactory({ logger })("a", config.models["a"]!, config);
    stop = () => engine.stop();
    await engine.start();
    await engine.stop();
    const forwarded = lines.filter((line) => line["vllm"] === true);
    expect(forwarded.length).toBeGreaterThan(0);
    expect(forwarded.every((line) => line["model"] === "a" && (line["stream"] === "stdout" || line["stream"] === "stderr"))).toBe(true);
    const milestones = forwarded.filter((line) => String(line["msg"]).startsWith("Loading weights took"));
    expect(milestones).toHaveLength(1);
  });
});
