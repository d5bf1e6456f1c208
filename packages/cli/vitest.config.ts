import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    name: "cli",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // End-to-end tests spawn llmux and several simulators; a loaded shared machine can be slow.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
