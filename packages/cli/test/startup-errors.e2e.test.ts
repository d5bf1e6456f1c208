import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "@llmux/vllm-sim/testing";
import { type LlmuxProcess, simConfig, type Workspace } from "../src/testing/index.js";
import { workspacePerTest } from "./helpers/test-kit.js";

let workspace: Workspace;
const servers: Server[] = [];
workspacePerTest((created) => {
  workspace = created;
});
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function listenOn(port: number): Promise<void> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
}

/** The one error record of a failed start, and no stack anywhere in the output. */
async function failedStart(llmux: LlmuxProcess): Promise<{ code: number | null; msg: string; output: string }> {
  const exit = await llmux.exited;
  const errors = llmux.lines.filter((line) => line.level >= 50);
  const output = llmux.stdout + llmux.stderr;
  expect(output).not.toMatch(/\n\s+at /);
  expect(output).not.toContain('"stack"');
  expect(errors).toHaveLength(1);
  return { code: exit.code, msg: errors[0]?.msg ?? "", output };
}

describe("start-up failures are one readable line", () => {
  it("a metrics port clash names metrics_port, not the main port", async () => {
    const metricsPort = await freePort();
    await listenOn(metricsPort);
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { metrics_port: metricsPort, metrics_host: "127.0.0.1" });
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--log-format", "json"]);
    const failure = await failedStart(llmux);
    expect(failure.code).toBe(1);
    expect(failure.msg).toBe(`llmux could not start: cannot listen on 127.0.0.1:${metricsPort} (metrics_port): the address is already in use`);
  });

  it("a taken main port is named once, with no doubled message", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }]);
    await listenOn(config["port"] as number);
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--log-format", "json"]);
    const failure = await failedStart(llmux);
    expect(failure.msg).toBe(`llmux could not start: cannot listen on 127.0.0.1:${String(config["port"])} (port): the address is already in use`);
  });

  it("a corrupt state file is named", async () => {
    writeFileSync(workspace.stateFile, "not json");
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }]);
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--log-format", "json"]);
    const failure = await failedStart(llmux);
    expect(failure.code).toBe(1);
    expect(failure.msg).toContain(`the state file ${workspace.stateFile} is not a llmux state file`);
    expect(failure.msg.split("is not valid JSON")).toHaveLength(2);
  });

  it("a vllm_command that does not exist is refused at start-up, before any request", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { vllm_command: `${workspace.dir}/no-such-vllm` });
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--log-format", "json"]);
    const failure = await failedStart(llmux);
    expect(failure.code).toBe(1);
    expect(failure.msg).toBe(`llmux could not start: vllm_command "${workspace.dir}/no-such-vllm" is not an executable file`);
    const onPath = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { vllm_command: "no-such-vllm-xyz" });
    const second = workspace.start(["--config", workspace.writeConfig(onPath), "--log-format", "json"]);
    expect((await failedStart(second)).msg).toMatch(/vllm_command "no-such-vllm-xyz" was not found on PATH/);
  });

  it("--levels without --validate is a usage error", async () => {
    const llmux = workspace.start(["--levels", "1", "--config", "whatever.json"]);
    expect((await llmux.exited).code).toBe(2);
    expect(llmux.stderr).toContain("--levels only applies with --validate");
  });

  it("refuses extra_args that disable sleep mode and an env that sets VLLM_SERVER_DEV_MODE, with their JSON paths", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1, env: { VLLM_SERVER_DEV_MODE: "0" } }]);
    const models = config["models"] as Record<string, Record<string, unknown>>;
    models["a"]!["extra_args"] = ["--no-enable-sleep-mode"];
    const path = workspace.writeConfig(config);
    const llmux = workspace.start(["--config", path]);
    expect((await llmux.exited).code).toBe(2);
    expect(llmux.stderr).toContain(`${path}: models["a"].extra_args[0]: expected no --no-enable-sleep-mode`);
    expect(llmux.stderr).toContain(`${path}: models["a"].env["VLLM_SERVER_DEV_MODE"]: expected no VLLM_SERVER_DEV_MODE`);
  });

  it("refuses a duration no timer can wait, and a __proto__ model", async () => {
    const config = await simConfig(workspace, [{ name: "a", sleepLevel: 1 }], { policy: { request_timeout_secs: 3e6 } });
    const path = workspace.writeConfig(config);
    writeFileSync(path, JSON.stringify(config).replace('"models":{', '"models":{"__proto__":{"model_path":"x","port":1},'));
    const llmux = workspace.start(["--config", path]);
    expect((await llmux.exited).code).toBe(2);
    expect(llmux.stderr).toContain(`${path}: models["__proto__"]: expected a model name other than`);
    expect(llmux.stderr).toContain(`${path}: policy.request_timeout_secs: expected a number <= 2147483.647 (the longest duration a timer can wait`);
  });
});
