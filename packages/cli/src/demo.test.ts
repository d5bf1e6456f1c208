import { existsSync } from "node:fs";
import { parseConfig } from "@llmux/core";
import { simBinPath } from "@llmux/vllm-sim/testing";
import { describe, expect, it } from "vitest";
import { DEMO_MODELS, buildDemoConfig, demoInstructions } from "./demo.js";

describe("llmux demo", () => {
  it("builds a valid config: one simulated model per sleep level on its own temporary GPU", async () => {
    const setup = await buildDemoConfig({ port: 3999, metricsPort: 0 });
    try {
      const config = parseConfig(setup.config);
      expect(config.vllm_command).toBe(simBinPath);
      expect(config.port).toBe(3999);
      expect(config.metrics_port).toBe(0);
      expect(
        Object.values(config.models)
          .map((model) => model.sleep_level)
          .sort(),
      ).toEqual([1, 2, 3]);
      for (const model of Object.values(config.models)) {
        expect(model.env["VLLM_SIM_STATE_DIR"]).toBe(setup.stateDir);
        expect(model.port).toBeUndefined();
        expect(Number(model.env["VLLM_SIM_STARTUP_MS"])).toBeGreaterThan(0);
      }
      expect(existsSync(setup.stateDir)).toBe(true);
    } finally {
      setup.cleanup();
    }
    expect(existsSync(setup.stateDir)).toBe(false);
  });

  it("prints a plain and a streaming curl per model, then models, status and metrics", () => {
    const text = demoInstructions("http://127.0.0.1:3000", "http://127.0.0.1:9090");
    for (const model of DEMO_MODELS) {
      const lines = text.split("\n").filter((line) => line.includes(`"model":"${model.name}"`));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^curl -s http:\/\/127\.0\.0\.1:3000\/v1\/chat\/completions /);
      expect(lines[1]).toMatch(/^curl -sN .*"stream":true/);
    }
    expect(text).toContain("curl -s http://127.0.0.1:3000/llmux/status");
    expect(text).toContain("Status page (live): http://127.0.0.1:3000/llmux/");
    expect(text).toContain("curl -s http://127.0.0.1:3000/llmux/logs/llama-8b");
    expect(text).toContain("curl -s http://127.0.0.1:9090/metrics");
    expect(demoInstructions("http://127.0.0.1:3000", undefined)).not.toContain("/metrics");
  });
});
