import { describe, expect, it } from "vitest";
import { serverOptionsFromConfig } from "./options-from-config.js";

describe("serverOptionsFromConfig", () => {
  it("maps every field of a model entry and the policy's timeouts to VllmServer options", () => {
    const options = serverOptionsFromConfig(
      "qwen",
      {
        model_path: "Qwen/Qwen2.5-7B",
        port: 8001,
        gpu_memory_utilization: 0.45,
        tensor_parallel_size: 2,
        dtype: "bfloat16",
        extra_args: ["--max-model-len", "4096"],
        env: { HF_HOME: "/cache" },
        gpus: [2, 3],
        startup_timeout_secs: 600,
      },
      { vllm_command: "/opt/vllm", policy: { sleep_timeout_secs: 120, wake_timeout_secs: 300, stop_grace_secs: 10 } },
    );
    expect(options).toEqual({
      name: "qwen",
      modelPath: "Qwen/Qwen2.5-7B",
      port: 8001,
      command: "/opt/vllm",
      gpuMemoryUtilization: 0.45,
      tensorParallelSize: 2,
      dtype: "bfloat16",
      extraArgs: ["--max-model-len", "4096"],
      env: { HF_HOME: "/cache" },
      gpus: [2, 3],
      startupTimeoutMs: 600_000,
      sleepTimeoutMs: 120_000,
      wakeTimeoutMs: 300_000,
      stopGraceMs: 10_000,
    });
  });

  it("leaves absent fields to VllmServer's defaults", () => {
    expect(serverOptionsFromConfig("m", { model_path: "x", port: 8002 }, {})).toEqual({ name: "m", modelPath: "x", port: 8002 });
  });
});
