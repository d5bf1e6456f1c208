import { fileURLToPath } from "node:url";

/**
 * Absolute paths of the built executables (`pnpm build` makes them). Both the
 * source and the built copy of this module sit one folder below the package
 * root, so the same relative path works from either.
 */
export const simBinPath: string = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
export const simSmiBinPath: string = fileURLToPath(new URL("../../dist/smi.js", import.meta.url));
