import { packageBuild } from "../tsup.base.js";

export default packageBuild(["src/run.ts", "src/fleet/tune.ts", "src/upstream/fast-vllm.ts", "src/upstream/bare-proxy.ts"], { dts: false });
