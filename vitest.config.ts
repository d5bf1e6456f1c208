import { defineConfig } from "vitest/config";

// LLMUX_TEST_REPORT=<file> adds a JSON report (CI reads it for its closing line).
const report = process.env.LLMUX_TEST_REPORT;

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "bench", "test/live-replay", "test/reliability"],
    // `vitest run --coverage` (CI) measures the published packages' sources; the figure is in CI's closing lines.
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      exclude: ["**/*.test.ts", "**/testing/**"],
      reporter: ["text-summary", "json-summary"],
      reportsDirectory: "coverage",
    },
    ...(report ? { reporters: ["default", "json"], outputFile: { json: report } } : {}),
  },
});
