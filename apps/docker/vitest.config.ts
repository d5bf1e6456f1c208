import { defineProject } from "vitest/config";
import { workspaceSourceAliases } from "../../vitest.sources.js";

export default defineProject({
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "docker",
    include: ["test/**/*.test.ts"],
  },
});
