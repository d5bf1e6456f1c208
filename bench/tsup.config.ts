import { packageBuild } from "../tsup.base.js";

// @llmux/live-replay is private and unbuilt (its exports name its TypeScript sources): bundled in, not imported at run time.
export default packageBuild(["src/run.ts", "src/fleet/tune.ts", "src/policy-frontier.ts", "src/upstream/fast-vllm.ts", "src/upstream/bare-proxy.ts"], {
  dts: false,
  noExternal: ["@llmux/live-replay"],
});
