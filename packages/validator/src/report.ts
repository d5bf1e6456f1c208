import type { GpuMemoryReading } from "./gpu-memory.js";
import type { CheckResult, LevelVerdict } from "./pass-rules.js";

/** Levels the validator measures: vLLM sleep levels 1 and 2, and 3 = stop + cold start. */
export type ValidateLevel = 1 | 2 | 3;

/** One call of a wake sequence, as the engine reported it. */
export interface WakeCallTiming {
  route: string;
  durationMs: number;
}

/** The measurements and verdict of one level. */
export interface LevelReport {
  level: ValidateLevel;
  sleepSecs: number | null;
  wakeSecs: number | null;
  gpuBefore: GpuMemoryReading | null;
  gpuAfter: GpuMemoryReading | null;
  gpuWake: GpuMemoryReading | null;
  /** The answer after the wake; null when none was obtained. */
  answer: string | null;
  checks: { response: CheckResult; sleepRelease: CheckResult; wakeRestore: CheckResult };
  verdict: LevelVerdict;
  /** One line per failed check or failed step, e.g. `memory: sleep released 0 of 73403 MiB ...`. */
  failures: string[];
  /** Per-call timings of the wake sequence, when the engine reports them. */
  wakeCalls: WakeCallTiming[];
  /** A step that threw (sleep, wake, probe): its code and message. */
  error: { step: string; code: string; message: string } | null;
}

/** Overall result: every level OK; some level FAIL; or nothing failed but memory was not checked. */
export type ValidationResult = "passed" | "failed" | "not_verified";

export interface ValidationReport {
  model: string;
  modelPath: string;
  levels: ValidateLevel[];
  vllmVersion: string | null;
  /** True when the version is in vLLM's broken-sleep range (>= 0.14.0, < 0.17.0; vLLM #32714). */
  brokenSleepVersion: boolean;
  warnings: string[];
  thresholds: { minRelease: number; minRestore: number };
  memory: {
    /** False when nvidia-smi could not be run; the memory checks then read "not run". */
    checked: boolean;
    command: string;
    /** Why memory was not checked. */
    reason: string | null;
    baseline: GpuMemoryReading | null;
  };
  startupSecs: number | null;
  /** The reference answer taken right after start-up. */
  reference: string | null;
  rows: LevelReport[];
  /** A failure before any level ran (start-up, reference request). */
  fatal: { step: string; code: string; message: string } | null;
  result: ValidationResult;
  exitCode: number;
}

/** Exit codes of a validation run. */
export const EXIT_PASSED = 0;
export const EXIT_FAILED = 1;
/** Bad usage or config (the `llmux-validate` bin only). */
export const EXIT_USAGE = 2;
/** Nothing failed but GPU memory was not checked (no nvidia-smi): not a pass. */
export const EXIT_NOT_VERIFIED = 3;

/** Overall result and exit code from the rows. */
export function summarize(
  rows: readonly LevelReport[],
  fatal: ValidationReport["fatal"],
): {
  result: ValidationResult;
  exitCode: number;
} {
  if (fatal !== null || rows.length === 0 || rows.some((row) => row.verdict === "FAIL")) {
    return { result: "failed", exitCode: EXIT_FAILED };
  }
  if (rows.some((row) => row.verdict === "NOT_CHECKED")) return { result: "not_verified", exitCode: EXIT_NOT_VERIFIED };
  return { result: "passed", exitCode: EXIT_PASSED };
}
