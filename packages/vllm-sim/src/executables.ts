import { fileURLToPath } from "node:url";

/**
 * Absolute paths of the built executables (`pnpm build` makes them), for
 * whoever starts the simulator as a `vllm_command` (the demo, tests). This
 * module sits one folder below the package root both as source (`src/`) and
 * built (`dist/`, an entry or a shared chunk), so one relative path serves both.
 */
export const simBinPath: string = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
export const simSmiBinPath: string = fileURLToPath(new URL("../dist/smi.js", import.meta.url));
