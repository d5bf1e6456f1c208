import { describe, expect, it } from "vitest";
import { parseServeArgs } from "./args.js";

describe("parseServeArgs", () => {
  it("reads the flags llmux passes, in both --flag value and --flag=value forms", () => {
    const args = parseServeArgs([
      "serve",
      "org/model",
      "--host",
      "127.0.0.1",
      "--port=8123",
      "--enable-sleep-mode",
      "--served-model-name",
      "a",
      "b",
      "--gpu-memory-utilization",
      "0.45",
      "--tensor-parallel-size",
      "2",
      "--dtype",
      "bfloat16",
      "--enforce-eager",
      "--max-num-seqs",
      "8",
      "--sim-ttft-ms",
      "7",
    ]);
    expect(args).toMatchObject({
      modelPath: "org/model",
      host: "127.0.0.1",
      port: 8123,
      enableSleepMode: true,
      servedModelNames: ["a", "b"],
      gpuMemoryUtilization: 0.45,
      tensorParallelSize: 2,
      dtype: "bfloat16",
      sim: { "ttft-ms": "7" },
    });
    expect(args.given["max-num-seqs"]).toBe("8");
    expect(args.given["enforce-eager"]).toBe(true);
  });

  it("accepts vLLM's short aliases", () => {
    expect(parseServeArgs(["serve", "m", "-tp", "2"]).tensorParallelSize).toBe(2);
    expect(parseServeArgs(["serve", "m", "-tp=4"]).tensorParallelSize).toBe(4);
  });

  it("defaults like vLLM", () => {
    expect(parseServeArgs(["serve", "m"])).toMatchObject({
      host: "0.0.0.0",
      port: 8000,
      servedModelNames: ["m"],
      enableSleepMode: false,
      gpuMemoryUtilization: 0.9,
      tensorParallelSize: 1,
    });
  });

  it("rejects a missing model, a missing value and a bad number", () => {
    expect(() => parseServeArgs(["serve"])).toThrow(/model_tag/);
    expect(() => parseServeArgs(["serve", "m", "--port"])).toThrow(/expected one argument/);
    expect(() => parseServeArgs(["serve", "m", "--gpu-memory-utilization", "1.5"])).toThrow(/invalid value/);
    expect(() => parseServeArgs(["run", "m"])).toThrow(/usage/);
  });
});
