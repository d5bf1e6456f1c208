import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, simBinPath } from "../src/testing/index.js";
import { useSims, waitFor, waitHealthy } from "./helpers.js";

describe("start-up and signals", () => {
  const sim = useSims();

  it("refuses connections while loading (no 503 phase), then logs like vLLM and answers", async () => {
    const s = await sim({ model: "m", knobs: { "startup-ms": 1200 }, waitReady: false });
    const statuses: Array<number | "refused"> = [];
    for (;;) {
      const status = await fetch(`${s.url}/health`)
        .then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        })
        .catch(() => "refused" as const);
      statuses.push(status);
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(statuses[0]).toBe("refused");
    expect(statuses.filter((status) => status !== "refused" && status !== 200)).toEqual([]);
    const logs = s.logs().join("\n");
    const order = [
      "vLLM API server version 0.13.0",
      "Loading weights took",
      "Model loading took",
      "Graph capturing finished in",
      "init engine (profile, create kv cache, warmup model) took",
      "Starting vLLM API server 0 on http://127.0.0.1:",
      "Application startup complete.",
    ];
    const positions = order.map((text) => logs.indexOf(text));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(logs).not.toContain("Uvicorn running on");
    expect(logs).toMatch(/^\(APIServer pid=\d+\) INFO \d\d-\d\d \d\d:\d\d:\d\d \[/m);
    expect(s.events()[0]).toMatchObject({ event: "ready", pid: s.pid, model: "m" });
  });

  it("prints the simulated vLLM version with --version", () => {
    const result = spawnSync(process.execPath, [simBinPath, "--version"], { encoding: "utf8", env: { ...process.env, VLLM_SIM_VERSION: "0.14.0" } });
    expect(result.stdout).toBe("0.14.0\n");
    expect(result.status).toBe(0);
  });

  it("prints its usage and exits 0 with --help or -h, also after serve", () => {
    for (const args of [["--help"], ["-h"], ["serve", "org/model", "--help"]]) {
      const result = spawnSync(process.execPath, [simBinPath, ...args], { encoding: "utf8" });
      expect(result.status, args.join(" ")).toBe(0);
      expect(result.stdout).toMatch(/^usage: vllm-sim serve <model_path>/);
      expect(result.stdout).toContain("--served-model-name");
      expect(result.stderr).toBe("");
    }
  });

  it("exits 1 with a clear line when the port is taken", async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const s = await sim({ port, waitReady: false });
      expect((await s.exited).code).toBe(1);
      expect(s.logs().some((line) => line.includes("ERROR") && line.includes("Address already in use"))).toBe(true);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("fails start-up when told to, logging the message", async () => {
    const s = await sim({ knobs: { "fail-startup": "CUDA out of memory while loading" }, waitReady: false });
    expect((await s.exited).code).toBe(1);
    expect(s.logs().some((line) => line.includes("ERROR") && line.includes("CUDA out of memory while loading"))).toBe(true);
  });

  it("parses VLLM_SERVER_DEV_MODE as an integer: anything else exits with an error", async () => {
    const s = await sim({ env: { VLLM_SERVER_DEV_MODE: "true" }, waitReady: false });
    expect((await s.exited).code).toBe(1);
    expect(s.logs().join("\n")).toContain("ValueError: invalid literal for int() with base 10: 'true'");
  });

  it("rejects unknown --sim flags and bad vLLM arguments with a usage error", async () => {
    const s = await sim({ args: ["--sim-no-such-knob", "1"], waitReady: false });
    expect((await s.exited).code).toBe(2);
    expect(s.logs().join("\n")).toContain("unknown simulator flag --sim-no-such-knob");
    const t = await sim({ args: ["--gpu-memory-utilization", "lots"], waitReady: false });
    expect((await t.exited).code).toBe(2);
  });

  it("exits promptly on SIGTERM and SIGINT, removing its GPU record", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const s = await sim({ model: "m" });
      const record = join(s.stateDir, `${s.pid}.json`);
      expect(existsSync(record)).toBe(true);
      s.child.kill(signal);
      expect((await s.exited).code).toBe(0);
      expect(existsSync(record)).toBe(false);
      expect(s.events().at(-1)).toMatchObject({ event: "exit", code: 0 });
    }
  });

  it("ignores SIGTERM with ignore-sigterm; only SIGKILL stops it", async () => {
    const s = await sim({ model: "m", knobs: { "ignore-sigterm": 1 } });
    s.child.kill("SIGTERM");
    await waitFor(() => s.logs().some((line) => line.includes("Received SIGTERM; ignoring it")), "ignore line");
    await waitHealthy(s);
    s.child.kill("SIGKILL");
    expect((await s.exited).signal).toBe("SIGKILL");
  });
});
