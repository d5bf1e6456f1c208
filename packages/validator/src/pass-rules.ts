/**
 * The pass rules for one level, as pure functions of the measurements. A level
 * passes only when every check ran and passed: the answer matches the
 * reference, the sleep released at least `minRelease` of what the model held,
 * and the wake brought back at least `minRestore` of what the sleep released.
 */

export type CheckStatus = "pass" | "fail" | "not_run";

export interface CheckResult {
  status: CheckStatus;
  /** Why it failed or did not run; absent when it passed. */
  detail?: string;
}

/** OK: everything checked and passed. FAIL: a check failed. NOT_CHECKED: nothing failed, but memory was not checked. */
export type LevelVerdict = "OK" | "FAIL" | "NOT_CHECKED";

export interface MemoryMeasurements {
  /** GPU memory used with the model not running, MiB (summed over GPUs). */
  baselineMiB: number | null;
  beforeMiB: number | null;
  afterMiB: number | null;
  wakeMiB: number | null;
}

export interface ThresholdOptions {
  /** Fraction of (before - baseline) the sleep must free. Default 0.8. */
  minRelease: number;
  /** Fraction of (wake - after) / (before - after) the wake must restore. Default 0.8. */
  minRestore: number;
}

export const DEFAULT_MIN_RELEASE = 0.8;
export const DEFAULT_MIN_RESTORE = 0.8;

const percent = (value: number): string => `${Math.round(value * 100)}%`;

/** Did the sleep release most of what the model held? */
export function checkSleepRelease(memory: MemoryMeasurements, options: ThresholdOptions, notRunReason: string): CheckResult {
  const { baselineMiB, beforeMiB, afterMiB } = memory;
  if (baselineMiB === null || beforeMiB === null || afterMiB === null) return { status: "not_run", detail: notRunReason };
  const held = beforeMiB - baselineMiB;
  if (held <= 0) {
    return {
      status: "fail",
      detail: `memory: the running model used no GPU memory above the baseline (${baselineMiB} MiB), so the release cannot be judged`,
    };
  }
  const released = beforeMiB - afterMiB;
  const fraction = released / held;
  if (fraction >= options.minRelease) return { status: "pass" };
  return {
    status: "fail",
    detail:
      `memory: sleep released ${Math.max(released, 0)} of ${held} MiB the model held (${percent(Math.max(fraction, 0))}), ` +
      `needs at least ${percent(options.minRelease)}`,
  };
}

/** Did the wake bring back what the sleep released? */
export function checkWakeRestore(memory: MemoryMeasurements, options: ThresholdOptions, notRunReason: string): CheckResult {
  const { beforeMiB, afterMiB, wakeMiB } = memory;
  if (beforeMiB === null || afterMiB === null || wakeMiB === null) return { status: "not_run", detail: notRunReason };
  const released = beforeMiB - afterMiB;
  // Nothing was released: there is nothing to restore, and the sleep check already failed.
  if (released <= 0) return { status: "pass" };
  const restored = wakeMiB - afterMiB;
  const fraction = restored / released;
  if (fraction >= options.minRestore) return { status: "pass" };
  return {
    status: "fail",
    detail:
      `memory: wake restored ${Math.max(restored, 0)} of ${released} MiB the sleep released (${percent(Math.max(fraction, 0))}), ` +
      `needs at least ${percent(options.minRestore)}`,
  };
}

/** Does the answer after the wake equal the reference answer? */
export function checkResponse(reference: string | null, answer: string | null, notRunReason: string): CheckResult {
  if (reference === null || answer === null) return { status: "fail", detail: `response: ${notRunReason}` };
  if (reference === answer) return { status: "pass" };
  return {
    status: "fail",
    detail: `response: answer after wake differs from the reference (${JSON.stringify(truncate(answer))} vs ${JSON.stringify(truncate(reference))})`,
  };
}

/** Combine the checks of one level: any failure fails; a check that did not run prevents OK. */
export function verdict(checks: readonly CheckResult[]): LevelVerdict {
  if (checks.some((check) => check.status === "fail")) return "FAIL";
  if (checks.some((check) => check.status === "not_run")) return "NOT_CHECKED";
  return "OK";
}

function truncate(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
