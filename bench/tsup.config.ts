import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/run.ts", "src/upstream/fast-vllm.ts", "src/upstream/bare-proxy.ts"],
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  platform: "node",
  target: "node20",
});
