import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { freePort } from "@llmux/vllm-sim/testing";
import { simConfig, type Workspace } from "../src/testing/index.js";
import { chat, workspacePerTest } from "./helpers/test-kit.js";

const execFileAsync = promisify(execFile);

function hasCurl(): boolean {
  try {
    execFileSync("curl", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

describe("the llmux binary", () => {
  it("exits 2 on an invalid config, naming the file and the bad field, without a stack trace", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }]);
    const models = config["models"] as Record<string, Record<string, unknown>>;
    models["a"]!["port"] = "8001";
    models["a"]!["sleep_levle"] = 1;
    const path = workspace.writeConfig(config);
    const llmux = workspace.start(["--config", path]);
    const exit = await llmux.exited;
    expect(exit.code).toBe(2);
    expect(llmux.stderr).toContain(`${path}: models["a"].port: expected`);
    expect(llmux.stderr).toMatch(/models\["a"\]\.sleep_levle: unknown key; did you mean "sleep_level"\?/);
    expect(llmux.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 2 on bad usage and 0 for --version", async () => {
    const bad = workspace.start(["--log-format", "xml"]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr).toContain("--log-format must be json or pretty");
    const version = workspace.start(["--version"]);
    expect((await version.exited).code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("exits 1 when its port is taken", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }]);
    const path = workspace.writeConfig(config);
    const first = workspace.start(["--config", path]);
    await first.listening();
    // A second instance on the same port (with its own state file).
    const second = workspace.start(["--config", path, "--state-file", `${workspace.dir}/other.json`]);
    expect((await second.exited).code).toBe(1);
    expect(second.stdout).toMatch(/cannot listen on 127\.0\.0\.1:\d+/);
  });

  it("llmux demo starts three simulated models and a pasted curl answers", async () => {
    const port = await freePort();
    const demo = workspace.start(["demo", "--port", String(port), "--metrics-port", "0", "--log-format", "json"]);
    const url = await demo.listening();
    expect(url).toBe(`http://127.0.0.1:${port}`);
    await demo.waitForLine(() => demo.stdout.includes("Ctrl-C stops llmux"));
    const curls = demo.stdout.split("\n").filter((line) => /^curl -sN? /.test(line));
    // Non-streaming and streaming per model, then /v1/models, status and the first model's logs (metrics are off here).
    expect(curls.length).toBe(9);
    expect(demo.stdout).toContain(`curl -s ${url}/llmux/status`);
    expect(demo.stdout).toMatch(new RegExp(`^curl -s ${url}/llmux/logs/\\S+$`, "m"));
    // The first pasted command, as a shell would run it.
    const body = /-d '(.*)'$/.exec(curls[0] ?? "")?.[1] ?? "";
    const { model } = JSON.parse(body) as { model: string };
    if (hasCurl()) {
      // Exactly as pasted into a shell.
      const { stdout } = await execFileAsync("sh", ["-c", curls[0] ?? ""], { timeout: 60_000 });
      expect(JSON.parse(stdout).model).toBe(model);
      const streamed = await execFileAsync("sh", ["-c", curls[3] ?? ""], { timeout: 60_000 });
      expect(streamed.stdout.trimEnd().endsWith("data: [DONE]")).toBe(true);
    } else {
      const answer = await chat(url, model);
      expect(answer.status).toBe(200);
      expect(answer.body.model).toBe(model);
    }
    await demo.stop();
    expect((await demo.exited).code).toBe(0);
  });
});
