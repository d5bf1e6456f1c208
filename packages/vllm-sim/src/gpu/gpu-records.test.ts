import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeRecord, usedPerGpu, writeRecord } from "./gpu-records.js";
import { selectGpus } from "./gpu-selection.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vllm-sim-records-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("GPU records", () => {
  it("sums live records per GPU and ignores dead pids and stray files", () => {
    writeRecord(dir, { pid: process.pid, model: "m", gpus: [0, 1], usedMib: { "0": 100, "1": 200 } });
    writeFileSync(join(dir, "999999999.json"), JSON.stringify({ pid: 999_999_999, model: "dead", gpus: [0], usedMib: { "0": 5000 } }));
    writeFileSync(join(dir, "notes.txt"), "x");
    expect(usedPerGpu(dir, 2)).toEqual([100, 200]);
    expect(usedPerGpu(dir, 2, process.pid)).toEqual([0, 0]);
    removeRecord(dir, process.pid);
    expect(usedPerGpu(dir, 2)).toEqual([0, 0]);
    expect(usedPerGpu(join(dir, "missing"), 1)).toEqual([0]);
  });

  it("selects CUDA_VISIBLE_DEVICES or 0..tp-1", () => {
    expect(selectGpus(undefined, 2)).toEqual([0, 1]);
    expect(selectGpus("3,1", 2)).toEqual([3, 1]);
    expect(selectGpus("2,3", 1)).toEqual([2]);
    expect(selectGpus("", 1)).toEqual([0]);
  });
});
