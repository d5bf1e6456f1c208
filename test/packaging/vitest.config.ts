import { defineProject } from "vitest/config";

// Not one of the root projects: packing and installing with npm takes a
// minute and needs the registry for third-party dependencies, so it runs as
// `pnpm test:packaging` (CI runs it and counts it in its closing line).
export default defineProject({
  test: {
    name: "packaging",
    include: ["src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
