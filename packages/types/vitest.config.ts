import { defineProject } from "vitest/config";
import { workspaceSourceAliases } from "../../vitest.sources.js";

export default defineProject({
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "types",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
