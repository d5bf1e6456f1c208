import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, simBinPath, simSmiBinPath } from "@llmux/vllm-sim/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ValidationReport } from "../src/report.js";
import { alive } from "./sim-fixture.js";

// The built bin (`pnpm -F @llmux/validator build` first), run as users run it.
const binPath = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const TIMEOUT = 90_000;

let dir: string;
const children: ReturnType<typeof spawn>[] = [];
const simPids: number[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "validator-bin-"));
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const pid of simPids.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** Run `--validate qwen --json` on a config with `model` over its entry; resolves with the exit code and the report. */
async function validateJson(levels: string, model: Record<string, unknown> = {}): Promise<{ code: number | null; report: ValidationReport }> {
  const { path, stateDir } = await writeConfig(model);
  const { done } = runBin(["--config", path, "--validate", "qwen", "--levels", levels, "--json", "--nvidia-smi", simSmiBinPath], stateDir);
  const { code, stdout, stderr } = await done;
  // Nothing on stderr when it is not a TTY (no progress line).
  expect(stderr).toBe("");
  return { code, report: JSON.parse(stdout) as ValidationReport };
}

async function writeConfig(model: Record<string, unknown> = {}): Promise<{ path: string; port: number; stateDir: string }> {
  const port = await freePort();
  const stateDir = join(dir, "gpus");
  const path = join(dir, "config.json");
  const config = {
    vllm_command: simBinPath,
    models: { qwen: { model_path: "sim/Qwen3-8B", port, env: { VLLM_SIM_STATE_DIR: stateDir }, ...model } },
    policy: { stop_grace_secs: 2 },
  };
  await writeFile(path, JSON.stringify(config));
  return { path, port, stateDir };
}

function runBin(args: string[], stateDir: string): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [binPath, ...args], {
    env: { ...process.env, VLLM_SIM_STATE_DIR: stateDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

describe("llmux-validate bin", () => {
  it(
    "validates a model and prints JSON, exit 0, nothing on stderr when not a TTY",
    async () => {
      const { code, report } = await validateJson("1");
      expect(code).toBe(0);
      expect(report.result).toBe("passed");
      expect(report.rows).toHaveLength(1);
      expect(report.rows[0]!.verdict).toBe("OK");
    },
    TIMEOUT,
  );

  it(
    "validates a model without a port over its Unix socket, as llmux runs it",
    async () => {
      const { code, report } = await validateJson("1,2", { port: undefined });
      expect(code).toBe(0);
      expect(report.vllmVersion).toBe("0.13.0");
      expect(report.rows.map((row) => row.verdict)).toEqual(["OK", "OK"]);
    },
    TIMEOUT,
  );

  it(
    "exits 2 on bad usage and bad config, naming the problem",
    async () => {
      const { path, stateDir } = await writeConfig();
      const noModel = await runBin(["--config", path], stateDir).done;
      expect(noModel.code).toBe(2);
      expect(noModel.stderr).toContain("--model <name>");
      const unknown = await runBin(["--config", path, "--model", "nope"], stateDir).done;
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown model "nope"');
      const badLevel = await runBin(["--config", path, "--model", "qwen", "--levels", "1,4"], stateDir).done;
      expect(badLevel.code).toBe(2);
      expect(badLevel.stderr).toContain('invalid level "4"');
      await writeFile(path, JSON.stringify({ models: { qwen: { model_path: "x", port: 8000, sleep_levle: 1 } } }));
      const badConfig = await runBin(["--config", path, "--model", "qwen"], stateDir).done;
      expect(badConfig.code).toBe(2);
      expect(badConfig.stderr).toContain("sleep_levle");
    },
    TIMEOUT,
  );

  it(
    "stops the model and exits 130 on SIGINT",
    async () => {
      // A 60 s level-1 sleep keeps the run busy long enough to interrupt it.
      const { path, port, stateDir } = await writeConfig({ extra_args: ["--sim-control", "1", "--sim-sleep1-ms", "60000"] });
      const { child, done } = runBin(["--config", path, "--model", "qwen", "--levels", "1", "--nvidia-smi", simSmiBinPath], stateDir);
      let simPid: number | undefined;
      const deadline = Date.now() + 60_000;
      while (simPid === undefined && Date.now() < deadline) {
        try {
          const stats = (await (await fetch(`http://127.0.0.1:${port}/_sim/stats`)).json()) as { pid: number };
          simPid = stats.pid;
          simPids.push(stats.pid);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      expect(simPid).toBeDefined();
      child.kill("SIGINT");
      const { code, stderr } = await done;
      expect(code).toBe(130);
      expect(stderr).toContain("stopping the model");
      expect(alive(simPid!)).toBe(false);
    },
    TIMEOUT,
  );
});
