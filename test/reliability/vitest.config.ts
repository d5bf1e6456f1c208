import { defineProject } from "vitest/config";

// Long mode (LLMUX_RELIABILITY=long) scales counts and durations; its own
// timeouts are read from the same variable so a long run is never cut short.
const long = process.env["LLMUX_RELIABILITY"] === "long";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "reliability",
    include: ["src/**/*.test.ts"],
    testTimeout: long ? 1_800_000 : 120_000,
    hookTimeout: long ? 300_000 : 60_000,
  },
});
