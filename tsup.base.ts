import { type Options, defineConfig } from "tsup";

/**
 * The build every package shares: ESM for Node 20 with types and source maps.
 * `clean` empties `dist/` first: chunk names carry content hashes, so without
 * it a rebuild leaves the old chunks beside the new ones and a tarball ships
 * both.
 */
export function packageBuild(entry: string[], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ["esm"],
    // Members marked `@internal` (the multiplexer's state its helpers share) stay out of the published types.
    dts: { compilerOptions: { stripInternal: true } },
    sourcemap: true,
    clean: true,
    platform: "node",
    target: "node20",
    ...overrides,
  });
}
