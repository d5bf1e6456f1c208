import { type Options, defineConfig } from "tsup";

/**
 * The build every package shares: ESM for Node 20 with types and source maps.
 * `clean` stays off so a rebuild never leaves a moment without `dist/` while
 * another process (a test, the demo) runs the package's binary.
 */
export function packageBuild(entry: string[], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: false,
    platform: "node",
    target: "node20",
    ...overrides,
  });
}
