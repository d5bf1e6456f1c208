import { isLlmuxError } from "@llmux/types";
import type { GpuMemoryReading } from "./gpu-memory.js";
import { checkResponse, checkSleepRelease, checkWakeRestore, verdict } from "./pass-rules.js";
import type { CheckResult, ThresholdOptions } from "./pass-rules.js";
import type { LevelReport, ValidateLevel, WakeCallTiming } from "./report.js";

/** Raw measurements of one level, filled step by step; a step that throws leaves the rest null. */
export interface LevelMeasurements {
  level: ValidateLevel;
  sleepSecs: number | null;
  wakeSecs: number | null;
  gpuBefore: GpuMemoryReading | null;
  gpuAfter: GpuMemoryReading | null;
  gpuWake: GpuMemoryReading | null;
  answer: string | null;
  wakeCalls: WakeCallTiming[];
  error: { step: string; code: string; message: string } | null;
}

export function emptyMeasurements(level: ValidateLevel): LevelMeasurements {
  return {
    level,
    sleepSecs: null,
    wakeSecs: null,
    gpuBefore: null,
    gpuAfter: null,
    gpuWake: null,
    answer: null,
    wakeCalls: [],
    error: null,
  };
}

export function describeError(step: string, error: unknown): { step: string; code: string; message: string } {
  if (isLlmuxError(error)) return { step, code: error.code, message: error.message };
  const code = (error as { code?: unknown } | null)?.code;
  return {
    step,
    code: typeof code === "string" ? code : "ERROR",
    message: error instanceof Error ? error.message : String(error),
  };
}

/** Judge one level's measurements against the reference answer and the memory baseline. */
export function judgeLevel(
  measured: LevelMeasurements,
  context: { reference: string | null; baseline: GpuMemoryReading | null; memoryChecked: boolean; memoryReason: string | null },
  thresholds: ThresholdOptions,
): LevelReport {
  const memory = {
    baselineMiB: context.baseline?.totalMiB ?? null,
    beforeMiB: measured.gpuBefore?.totalMiB ?? null,
    afterMiB: measured.gpuAfter?.totalMiB ?? null,
    wakeMiB: measured.gpuWake?.totalMiB ?? null,
  };
  const failedStep = measured.error ? `not measured: ${measured.error.step} failed` : "not measured";
  const memoryNotRun = context.memoryChecked ? failedStep : `not run (${context.memoryReason ?? "nvidia-smi unavailable"})`;
  let sleepRelease: CheckResult = checkSleepRelease(memory, thresholds, memoryNotRun);
  let wakeRestore: CheckResult = checkWakeRestore(memory, thresholds, memoryNotRun);
  const response = checkResponse(context.reference, measured.answer, measured.error ? failedStep : "no answer");
  // A failed step already fails the level; its memory checks did not run rather than pass or fail.
  if (measured.error && sleepRelease.status === "not_run") sleepRelease = { status: "not_run", detail: failedStep };
  if (measured.error && wakeRestore.status === "not_run") wakeRestore = { status: "not_run", detail: failedStep };
  const checks = { response, sleepRelease, wakeRestore };
  const failures: string[] = [];
  if (measured.error) failures.push(`${measured.error.step} failed: ${measured.error.code}: ${measured.error.message}`);
  for (const check of [sleepRelease, wakeRestore, response]) {
    // With a failed step the response "no answer" is a consequence, not a second cause.
    if (check.status === "fail" && check.detail && !(measured.error && check === response && measured.answer === null)) {
      failures.push(check.detail);
    }
  }
  const levelVerdict = measured.error ? "FAIL" : verdict([response, sleepRelease, wakeRestore]);
  return { ...measured, checks, verdict: levelVerdict, failures };
}
