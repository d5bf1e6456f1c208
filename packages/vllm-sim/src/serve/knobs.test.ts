import { describe, expect, it } from "vitest";
import { knobEnvName, resolveKnobs } from "./knobs.js";

describe("resolveKnobs", () => {
  it("uses fast defaults, the realistic profile on request, and lets a flag win over the environment", () => {
    const fast = resolveKnobs({}, {});
    expect(fast).toMatchObject({ profile: "fast", version: "0.13.0", gpuCount: 1, gpuTotalMib: 81559, gpuName: "NVIDIA H100 80GB HBM3", control: false });
    expect(fast.startupMs).toBeLessThan(1000);
    const realistic = resolveKnobs({}, { VLLM_SIM_PROFILE: "realistic" });
    expect(realistic).toMatchObject({ startupMs: 60_000, sleep1Ms: 10_000, wake1Ms: 800, sleep2Ms: 300, ttftMs: 50, tokensPerSec: 60 });
    expect(realistic.wake2Ms * 2 + realistic.reloadMs).toBe(4_000);
    expect(resolveKnobs({ "ttft-ms": "9" }, { VLLM_SIM_TTFT_MS: "3" }).ttftMs).toBe(9);
    expect(resolveKnobs({}, { VLLM_SIM_TTFT_MS: "3", VLLM_SIM_BROKEN_SLEEP: "1" })).toMatchObject({ ttftMs: 3, brokenSleep: true });
  });

  it("rejects unknown flags and bad values", () => {
    expect(() => resolveKnobs({ nope: "1" }, {})).toThrow(/unknown simulator flag/);
    expect(() => resolveKnobs({ "ttft-ms": "soon" }, {})).toThrow(/non-negative number/);
    expect(() => resolveKnobs({ control: "yes" }, {})).toThrow(/1 or 0/);
    expect(() => resolveKnobs({ profile: "slow" }, {})).toThrow(/fast/);
  });

  it("names environment variables after the knob", () => {
    expect(knobEnvName("gpu-total-mib")).toBe("VLLM_SIM_GPU_TOTAL_MIB");
  });
});
