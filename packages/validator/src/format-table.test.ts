import { describe, expect, it } from "vitest";
import { formatJson, formatReport, formatRow, HEADER, RULE } from "./format-table.js";
import type { GpuMemoryReading } from "./gpu-memory.js";
import { emptyMeasurements, judgeLevel } from "./measure-level.js";
import type { LevelReport, ValidateLevel, ValidationReport } from "./report.js";
import { summarize } from "./report.js";

const gpu = (totalMiB: number): GpuMemoryReading => ({ perGpuMiB: [totalMiB], totalMiB });
const thresholds = { minRelease: 0.8, minRestore: 0.8 };
const context: Parameters<typeof judgeLevel>[1] = { reference: "Paris", baseline: gpu(1000), memoryChecked: true, memoryReason: null };

function row(level: ValidateLevel, values: Partial<ReturnType<typeof emptyMeasurements>>, ctx = context): LevelReport {
  return judgeLevel({ ...emptyMeasurements(level), ...values }, ctx, thresholds);
}

function report(rows: LevelReport[], overrides: Partial<ValidationReport> = {}): ValidationReport {
  const base: ValidationReport = {
    model: "qwen",
    modelPath: "Qwen/Qwen3-8B",
    levels: rows.map((r) => r.level),
    vllmVersion: "0.13.0",
    brokenSleepVersion: false,
    warnings: [],
    thresholds,
    memory: { checked: true, command: "nvidia-smi", reason: null, baseline: gpu(1000) },
    startupSecs: 61.2,
    reference: "Paris",
    rows,
    fatal: null,
    result: "passed",
    exitCode: 0,
    ...overrides,
  };
  return { ...base, ...summarize(base.rows, base.fatal), ...overrides };
}

const l1 = row(1, { sleepSecs: 35.9, wakeSecs: 1.2, gpuBefore: gpu(45899), gpuAfter: gpu(1341), gpuWake: gpu(44033), answer: "Paris" });
const l2 = row(2, { sleepSecs: 0.3, wakeSecs: 8.2, gpuBefore: gpu(44033), gpuAfter: gpu(1341), gpuWake: gpu(44033), answer: "Paris" });

describe("the table", () => {
  it("reproduces the original's layout character for character", () => {
    // The original llmux printed exactly these lines for the same numbers.
    expect(HEADER).toBe("Level     Sleep (s)   Wake (s)   GPU Before    GPU After     GPU Wake   Response   Pass");
    expect(RULE).toBe("-".repeat(88));
    expect(formatRow(l1)).toBe("L1             35.9        1.2      45899 MiB       1341 MiB      44033 MiB      match     OK");
    expect(formatRow(l2)).toBe("L2              0.3        8.2      44033 MiB       1341 MiB      44033 MiB      match     OK");
    expect(formatReport(report([l1, l2]))).toBe([HEADER, RULE, formatRow(l1), formatRow(l2), "", "Result: ALL PASSED", ""].join("\n"));
  });

  it("marks a mismatch and a memory failure, and says which check failed", () => {
    const mismatch = row(2, { sleepSecs: 0.1, wakeSecs: 0.2, gpuBefore: gpu(74000), gpuAfter: gpu(2000), gpuWake: gpu(74000), answer: "zq vol" });
    const broken = row(1, { sleepSecs: 0.1, wakeSecs: 0.1, gpuBefore: gpu(74000), gpuAfter: gpu(74000), gpuWake: gpu(74000), answer: "Paris" });
    expect(formatRow(mismatch)).toMatch(/ {2}MISMATCH {3}FAIL$/);
    expect(formatRow(broken)).toMatch(/ {5}match {3}FAIL$/);
    const text = formatReport(report([broken, mismatch]));
    expect(text).toContain("L1 FAIL: memory: sleep released 0 of 73000 MiB the model held (0%), needs at least 80%");
    expect(text).toContain('L2 FAIL: response: answer after wake differs from the reference ("zq vol" vs "Paris")');
    expect(text.trimEnd().endsWith("Result: SOME FAILED")).toBe(true);
  });

  it("shows a failed step as a FAIL row with n/a cells", () => {
    const crashed = row(1, {
      gpuBefore: gpu(74000),
      error: { step: "sleep", code: "LLMUX_ERR_ENGINE_EXITED", message: "the process exited (code 1)" },
    });
    expect(formatRow(crashed)).toBe("L1              n/a        n/a      74000 MiB            n/a            n/a        n/a   FAIL");
    expect(formatReport(report([crashed]))).toContain("L1 FAIL: sleep failed: LLMUX_ERR_ENGINE_EXITED: the process exited (code 1)");
  });

  it("never shows memory checks that did not run as passed", () => {
    const noSmi = { reference: "Paris", baseline: null, memoryChecked: false, memoryReason: "nvidia-smi not found (nvidia-smi)" };
    const unchecked = row(1, { sleepSecs: 0.1, wakeSecs: 0.1, answer: "Paris" }, noSmi);
    expect(unchecked.verdict).toBe("NOT_CHECKED");
    expect(formatRow(unchecked)).toBe("L1              0.1        0.1            n/a            n/a            n/a      match    n/a");
    const text = formatReport(
      report([unchecked], { memory: { checked: false, command: "nvidia-smi", reason: "nvidia-smi not found (nvidia-smi)", baseline: null } }),
    );
    expect(text).toContain("GPU memory checks not run: nvidia-smi not found (nvidia-smi)");
    expect(text.trimEnd().split("\n").at(-1)).toBe("Result: NOT VERIFIED (GPU memory was not checked: nvidia-smi not found (nvidia-smi))");
    expect(text).not.toMatch(/ OK$/m);
  });

  it("adds answers, per-GPU memory and wake-call timings with verbose", () => {
    const withCalls = {
      ...l2,
      wakeCalls: [
        { route: "/wake_up?tags=weights", durationMs: 1200 },
        { route: "/collective_rpc", durationMs: 6100 },
      ],
    };
    const text = formatReport(report([withCalls]), { verbose: true });
    expect(text).toContain("vLLM version: 0.13.0");
    expect(text).toContain('Reference answer: "Paris"');
    expect(text).toContain('L2 answer: "Paris"');
    expect(text).toContain("L2 GPU before: GPU0 44033 MiB; after: GPU0 1341 MiB; wake: GPU0 44033 MiB");
    expect(text).toContain("L2 wake calls: /wake_up?tags=weights 1.200 s, /collective_rpc 6.100 s");
  });

  it("prints warnings above the table", () => {
    const text = formatReport(report([l1], { warnings: ["vLLM 0.15.1 is in the broken range"] }));
    expect(text.startsWith("Warning: vLLM 0.15.1 is in the broken range\n\nLevel")).toBe(true);
  });
});

describe("summarize and JSON", () => {
  it("exits 0 only when every level passed", () => {
    expect(summarize([l1, l2], null)).toEqual({ result: "passed", exitCode: 0 });
    expect(summarize([], null)).toEqual({ result: "failed", exitCode: 1 });
    expect(summarize([l1], { step: "start", code: "X", message: "y" })).toEqual({ result: "failed", exitCode: 1 });
  });

  it("serializes the whole report", () => {
    const parsed = JSON.parse(formatJson(report([l1]))) as ValidationReport;
    expect(parsed.result).toBe("passed");
    expect(parsed.rows[0]).toMatchObject({ level: 1, verdict: "OK", sleepSecs: 35.9, gpuAfter: { totalMiB: 1341 } });
  });
});
