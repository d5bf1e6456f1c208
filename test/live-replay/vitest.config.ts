import { defineProject } from "vitest/config";
import { workspaceSourceAliases } from "../../vitest.sources.js";

export default defineProject({
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "live-replay",
    include: ["src/**/*.test.ts"],
  },
});
