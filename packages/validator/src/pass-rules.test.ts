import { describe, expect, it } from "vitest";
import { checkResponse, checkSleepRelease, checkWakeRestore, verdict } from "./pass-rules.js";

const thresholds = { minRelease: 0.8, minRestore: 0.8 };

describe("checkSleepRelease", () => {
  it("passes when the sleep freed at least the fraction of what the model held", () => {
    // The original's example row: 45899 -> 1341 MiB over a baseline of 1000.
    expect(checkSleepRelease({ baselineMiB: 1000, beforeMiB: 45899, afterMiB: 1341, wakeMiB: 44033 }, thresholds, "x")).toEqual({
      status: "pass",
    });
  });

  it("fails when the sleep freed nothing (vLLM 0.14 bug) and says how much", () => {
    const result = checkSleepRelease({ baselineMiB: 0, beforeMiB: 73403, afterMiB: 73403, wakeMiB: 73403 }, thresholds, "x");
    expect(result.status).toBe("fail");
    expect(result.detail).toBe("memory: sleep released 0 of 73403 MiB the model held (0%), needs at least 80%");
  });

  it("applies a custom fraction at the boundary", () => {
    const memory = { baselineMiB: 0, beforeMiB: 1000, afterMiB: 500, wakeMiB: 1000 };
    expect(checkSleepRelease(memory, { ...thresholds, minRelease: 0.5 }, "x").status).toBe("pass");
    expect(checkSleepRelease(memory, { ...thresholds, minRelease: 0.51 }, "x").status).toBe("fail");
  });

  it("fails when the model held nothing above the baseline", () => {
    expect(checkSleepRelease({ baselineMiB: 5000, beforeMiB: 5000, afterMiB: 5000, wakeMiB: 5000 }, thresholds, "x").status).toBe("fail");
  });

  it("does not run without measurements", () => {
    expect(checkSleepRelease({ baselineMiB: null, beforeMiB: null, afterMiB: null, wakeMiB: null }, thresholds, "no smi")).toEqual({
      status: "not_run",
      detail: "no smi",
    });
  });
});

describe("checkWakeRestore", () => {
  it("passes when the wake brought back what the sleep released", () => {
    expect(checkWakeRestore({ baselineMiB: 0, beforeMiB: 45899, afterMiB: 1341, wakeMiB: 44033 }, thresholds, "x").status).toBe("pass");
  });

  it("fails when the wake left the memory released", () => {
    const result = checkWakeRestore({ baselineMiB: 0, beforeMiB: 45000, afterMiB: 1000, wakeMiB: 2000 }, thresholds, "x");
    expect(result.status).toBe("fail");
    expect(result.detail).toMatch(/^memory: wake restored 1000 of 44000 MiB/);
  });

  it("has nothing to judge when the sleep released nothing", () => {
    expect(checkWakeRestore({ baselineMiB: 0, beforeMiB: 9000, afterMiB: 9000, wakeMiB: 9000 }, thresholds, "x").status).toBe("pass");
  });
});

describe("checkResponse and verdict", () => {
  it("compares answers exactly", () => {
    expect(checkResponse("Paris", "Paris", "x").status).toBe("pass");
    const mismatch = checkResponse("Paris", "zq vol", "x");
    expect(mismatch.status).toBe("fail");
    expect(mismatch.detail).toContain("differs from the reference");
    expect(checkResponse("Paris", null, "no answer")).toEqual({ status: "fail", detail: "response: no answer" });
  });

  it("never turns a check that did not run into a pass", () => {
    expect(verdict([{ status: "pass" }, { status: "pass" }])).toBe("OK");
    expect(verdict([{ status: "pass" }, { status: "not_run" }])).toBe("NOT_CHECKED");
    expect(verdict([{ status: "fail" }, { status: "not_run" }])).toBe("FAIL");
  });
});
