import { describe, expect, it } from "vitest";
import { buildVllmArgs, buildVllmEnv, formatCommandLine } from "./build-args.js";

describe("buildVllmArgs", () => {
  it("builds the contract's command line with defaults", () => {
    expect(buildVllmArgs({ name: "qwen", modelPath: "/models/qwen", port: 8001 })).toEqual([
      "serve",
      "/models/qwen",
      "--host",
      "127.0.0.1",
      "--port",
      "8001",
      "--enable-sleep-mode",
      "--served-model-name",
      "qwen",
      "--gpu-memory-utilization",
      "0.9",
      "--tensor-parallel-size",
      "1",
      "--dtype",
      "auto",
    ]);
  });

  it("uses the given values and appends extra args verbatim, as separate argv items", () => {
    const args = buildVllmArgs({
      name: "llama",
      modelPath: "meta/llama",
      port: 9000,
      host: "::1",
      gpuMemoryUtilization: 0.45,
      tensorParallelSize: 2,
      dtype: "bfloat16",
      extraArgs: ["--max-model-len", "8192", "$(rm -rf /); echo hi"],
    });
    expect(args.slice(0, 16)).toEqual([
      "serve",
      "meta/llama",
      "--host",
      "::1",
      "--port",
      "9000",
      "--enable-sleep-mode",
      "--served-model-name",
      "llama",
      "--gpu-memory-utilization",
      "0.45",
      "--tensor-parallel-size",
      "2",
      "--dtype",
      "bfloat16",
      "--max-model-len",
    ]);
    expect(args.at(-1)).toBe("$(rm -rf /); echo hi");
    expect(args).toHaveLength(18);
  });
});

describe("buildVllmEnv", () => {
  it("inherits, overlays per-model env, forces dev mode 1 and sets CUDA_VISIBLE_DEVICES from gpus", () => {
    const env = buildVllmEnv(
      { env: { HF_HOME: "/cache", VLLM_SERVER_DEV_MODE: "true", PATH: "/custom" }, gpus: [2, 3] },
      { PATH: "/usr/bin", HOME: "/root", CUDA_VISIBLE_DEVICES: "0", UNSET: undefined },
    );
    expect(env).toEqual({
      PATH: "/custom",
      HOME: "/root",
      HF_HOME: "/cache",
      VLLM_SERVER_DEV_MODE: "1",
      CUDA_VISIBLE_DEVICES: "2,3",
    });
  });

  it("leaves CUDA_VISIBLE_DEVICES alone without gpus", () => {
    const env = buildVllmEnv({}, { CUDA_VISIBLE_DEVICES: "1" });
    expect(env).toEqual({ CUDA_VISIBLE_DEVICES: "1", VLLM_SERVER_DEV_MODE: "1" });
  });
});

describe("formatCommandLine", () => {
  it("quotes only what a shell would misread", () => {
    expect(formatCommandLine("vllm", ["serve", "/m", "--x", "a b", "it's"])).toBe(`vllm serve /m --x 'a b' 'it'\\''s'`);
  });
});
