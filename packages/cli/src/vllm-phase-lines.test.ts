import { describe, expect, it } from "vitest";
import { isPhaseLine, stripVllmPrefix } from "./vllm-phase-lines.js";

describe("vLLM phase lines", () => {
  it("recognises the start-up milestones and nothing else", () => {
    expect(isPhaseLine("(EngineCore_DP0 pid=41) INFO 11-30 01:02:03 [default_loader.py:267] Loading weights took 12.34 seconds")).toBe(true);
    expect(isPhaseLine("(EngineCore_DP0 pid=41) INFO 11-30 01:02:03 [gpu_model_runner.py:1] Graph capturing finished in 9 secs")).toBe(true);
    expect(isPhaseLine("(APIServer pid=40) INFO:     Application startup complete.")).toBe(true);
    expect(isPhaseLine("(APIServer pid=40) INFO 11-30 01:02:03 [loggers.py:1] Avg prompt throughput: 0.0 tokens/s")).toBe(false);
  });
  it("strips vLLM's process and level prefix", () => {
    expect(stripVllmPrefix("(EngineCore_DP0 pid=41) INFO 11-30 01:02:03 [default_loader.py:267] Loading weights took 12.34 seconds")).toBe(
      "Loading weights took 12.34 seconds",
    );
    expect(stripVllmPrefix("plain line  ")).toBe("plain line");
  });
});
