import { defineConfig } from "vitest/config";

// LLMUX_TEST_REPORT=<file> adds a JSON report (CI reads it for its closing line).
const report = process.env.LLMUX_TEST_REPORT;

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "bench", "test/reliability"],
    ...(report ? { reporters: ["default", "json"], outputFile: { json: report } } : {}),
  },
});
