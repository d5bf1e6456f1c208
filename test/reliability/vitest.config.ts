import { defineProject } from "vitest/config";
import { workspaceSourceAliases } from "../../vitest.sources.js";

// Long mode (LLMUX_RELIABILITY=long) scales counts and durations; its own
// timeouts are read from the same variable so a long run is never cut short.
const long = process.env["LLMUX_RELIABILITY"] === "long";

export default defineProject({
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "reliability",
    include: ["src/**/*.test.ts"],
    testTimeout: long ? 1_800_000 : 120_000,
    hookTimeout: long ? 300_000 : 60_000,
  },
});
