import { defineConfig } from "tsup";


export default defineConfig({
  entry: [
    "src/index.ts",
    "src/cli.ts",
    "src/smi.ts",
    "src/testing/index.ts"
  ],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: false,
  platform: "node",
  target: "node20",
});
