import { defineProject } from "vitest/config";
import { workspaceSourceAliases } from "../../vitest.sources.js";

export default defineProject({
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "cli",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // End-to-end tests spawn llmux and several simulators; a loaded shared machine can be slow.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
