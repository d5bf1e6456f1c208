import { fileURLToPath } from "node:url";

/** The monorepo root: bench/dist/run.js and bench/src/*.ts both sit two folders below it. */
export const repoRoot: string = fileURLToPath(new URL("../../", import.meta.url));
export const benchRoot: string = fileURLToPath(new URL("../", import.meta.url));
export const fastUpstreamBinPath: string = fileURLToPath(new URL("../dist/upstream/fast-vllm.js", import.meta.url));
export const bareProxyBinPath: string = fileURLToPath(new URL("../dist/upstream/bare-proxy.js", import.meta.url));
