import { afterEach, describe, expect, it } from "vitest";
import { runValidation } from "../src/run-validation.js";
import { HEADER, RULE } from "../src/format-table.js";
import { alive, createSimFixture } from "./sim-fixture.js";
import type { SimFixture } from "./sim-fixture.js";

// Each test spawns real vllm-sim processes (cold starts, sleeps, wakes) on a
// possibly loaded machine: generous limits, no timing assertions.
const TIMEOUT = 90_000;

let fixture: SimFixture | undefined;
const pending: AbortController[] = [];

afterEach(async () => {
  for (const controller of pending.splice(0)) controller.abort();
  await fixture?.cleanup();
  fixture = undefined;
});

async function control(url: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return response.json().catch(() => null);
}

describe("validator against vllm-sim", () => {
  it(
    "passes every level on a healthy sim, with the original's table",
    async () => {
      fixture = await createSimFixture();
      const options = fixture.options({ levels: [1, 2, 3], verbose: true });
      const { exitCode, report } = await runValidation(options);

      expect(report.fatal).toBeNull();
      expect(report.rows.map((row) => [row.level, row.verdict])).toEqual([
        [1, "OK"],
        [2, "OK"],
        [3, "OK"],
      ]);
      expect(exitCode).toBe(0);
      expect(report.vllmVersion).toBe("0.13.0");
      // The sim holds 0.9 of an 81559 MiB card awake and about 1 GiB asleep.
      for (const row of report.rows) {
        expect(row.gpuBefore!.totalMiB).toBeGreaterThan(row.gpuAfter!.totalMiB);
        expect(row.gpuWake!.totalMiB).toBeGreaterThan(row.gpuAfter!.totalMiB);
        expect(row.answer).toBe(report.reference);
      }
      expect(report.rows[1]!.wakeCalls.map((call) => call.route)).toEqual(
        expect.arrayContaining(["POST /wake_up?tags=weights", "POST /wake_up?tags=kv_cache"]),
      );
      const lines = options.stdout.text.split("\n");
      expect(lines).toContain(HEADER);
      expect(lines).toContain(RULE);
      expect(lines.filter((line) => /^L[123] .* match +OK$/.test(line))).toHaveLength(3);
      expect(lines).toContain("Result: ALL PASSED");
      expect(options.stdout.text).toContain("vLLM version: 0.13.0");
      // Nothing left running and no simulated GPU memory held.
      expect(fixture.pids().filter(alive)).toEqual([]);
      expect(await fixture.gpuRecords()).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "fails the memory check on a broken-sleep sim while the answers match, and warns about the version",
    async () => {
      fixture = await createSimFixture({ extraArgs: ["--sim-broken-sleep", "1", "--sim-version", "0.15.1"] });
      const options = fixture.options({ levels: [1, 2] });
      const { exitCode, report } = await runValidation(options);

      expect(exitCode).toBe(1);
      for (const row of report.rows) {
        expect(row.verdict).toBe("FAIL");
        expect(row.checks.response.status).toBe("pass");
        expect(row.checks.sleepRelease.status).toBe("fail");
        expect(row.failures.join("\n")).toMatch(/memory: sleep released \d+ of \d+ MiB/);
      }
      expect(options.stdout.text).toMatch(/^L1 .* match +FAIL$/m);
      expect(options.stdout.text).toContain("Result: SOME FAILED");
      expect(report.brokenSleepVersion).toBe(true);
      expect(options.stdout.text).toMatch(/^Warning: vLLM 0\.15\.1 is in the range whose sleep mode frees almost no GPU memory/m);
    },
    TIMEOUT,
  );

  it(
    "fails the answer check when the level-2 wake skips the reload",
    async () => {
      fixture = await createSimFixture({ extraArgs: ["--sim-control", "1"] });
      const options = fixture.options({
        levels: [1, 2],
        hooks: {
          // Armed only for level 2: its reload answers 200 but restores nothing (gibberish afterwards).
          beforeWake: async ({ level, url }) => {
            if (level === 2) await control(url, "/_sim/fault", { fault: "noop_reload" });
          },
        },
      });
      const { exitCode, report } = await runValidation(options);

      expect(exitCode).toBe(1);
      expect(report.rows[0]!.verdict).toBe("OK");
      const level2 = report.rows[1]!;
      expect(level2.verdict).toBe("FAIL");
      expect(level2.checks.response.status).toBe("fail");
      expect(level2.checks.sleepRelease.status).toBe("pass");
      expect(level2.answer).not.toBe(report.reference);
      expect(options.stdout.text).toMatch(/^L2 .* MISMATCH +FAIL$/m);
      expect(options.stdout.text).toContain("L2 FAIL: response: answer after wake differs from the reference");
    },
    TIMEOUT,
  );

  it(
    "reports a sim that crashes on sleep as a FAIL row and carries on with a fresh process",
    async () => {
      fixture = await createSimFixture({ extraArgs: ["--sim-control", "1"] });
      const options = fixture.options({
        levels: [1, 2],
        hooks: {
          // vLLM #28714: /sleep with a running request kills the engine. Leave one hanging.
          beforeSleep: async ({ level, url }) => {
            if (level !== 1) return;
            await control(url, "/_sim/fault", { fault: "hang_request" });
            const controller = new AbortController();
            pending.push(controller);
            fetch(`${url}/v1/chat/completions`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ model: "sim-model", messages: [{ role: "user", content: "hang" }] }),
              signal: controller.signal,
            }).catch(() => undefined);
            for (;;) {
              const stats = (await control(url, "/_sim/stats")) as { requests: { running: number } };
              if (stats.requests.running > 0) break;
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          },
        },
      });
      const { exitCode, report } = await runValidation(options);

      expect(exitCode).toBe(1);
      const level1 = report.rows[0]!;
      expect(level1.verdict).toBe("FAIL");
      expect(level1.error?.step).toBe("sleep");
      expect(level1.failures[0]).toMatch(/^sleep failed: LLMUX_ERR_/);
      expect(options.stdout.text).toMatch(/^L1 +n\/a +n\/a .* FAIL$/m);
      // The next level starts a fresh process and is measured normally.
      expect(report.rows[1]!.verdict).toBe("OK");
      expect(fixture.pids().length).toBeGreaterThanOrEqual(2);
      expect(fixture.pids().filter(alive)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "reports a model that cannot start with vLLM's last lines, exit 1, nothing left running",
    async () => {
      fixture = await createSimFixture({ extraArgs: ["--sim-fail-startup", "CUDA out of memory (simulated)"] });
      const options = fixture.options({ levels: [1, 2] });
      const { exitCode, report } = await runValidation(options);

      expect(exitCode).toBe(1);
      expect(report.rows).toEqual([]);
      expect(report.fatal).toMatchObject({ step: "start", code: expect.stringMatching(/^LLMUX_ERR_/) });
      expect(report.fatal!.message).toContain("CUDA out of memory (simulated)");
      expect(options.stdout.text).toMatch(/^Error \(start\): LLMUX_ERR_\w+: /m);
      expect(options.stdout.text).toContain("Result: SOME FAILED");
      expect(fixture.pids().filter(alive)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "reports memory checks as not run without nvidia-smi, never as passed",
    async () => {
      fixture = await createSimFixture();
      const options = fixture.options({ levels: [1], nvidiaSmi: "/nonexistent/nvidia-smi" });
      const { exitCode, report } = await runValidation(options);

      expect(report.memory.checked).toBe(false);
      expect(report.memory.reason).toBe("nvidia-smi not found (/nonexistent/nvidia-smi)");
      expect(report.rows[0]!.checks.response.status).toBe("pass");
      expect(report.rows[0]!.checks.sleepRelease.status).toBe("not_run");
      expect(report.rows[0]!.verdict).toBe("NOT_CHECKED");
      expect(report.result).toBe("not_verified");
      expect(exitCode).toBe(3);
      expect(options.stdout.text).toContain("GPU memory checks not run: nvidia-smi not found (/nonexistent/nvidia-smi)");
      expect(options.stdout.text).toMatch(/^L1 +\S+ +\S+ +n\/a +n\/a +n\/a +match +n\/a$/m);
      expect(options.stdout.text).not.toContain("ALL PASSED");
    },
    TIMEOUT,
  );

  it(
    "stops the model when aborted mid-run",
    async () => {
      fixture = await createSimFixture();
      const controller = new AbortController();
      const options = fixture.options({
        levels: [1, 2],
        signal: controller.signal,
        hooks: { beforeWake: () => controller.abort(new Error("test abort")) },
      });
      await expect(runValidation(options)).rejects.toMatchObject({ code: "LLMUX_ERR_ABORTED" });
      expect(fixture.pids().length).toBeGreaterThan(0);
      expect(fixture.pids().filter(alive)).toEqual([]);
      expect(await fixture.gpuRecords()).toEqual([]);
    },
    TIMEOUT,
  );
});
