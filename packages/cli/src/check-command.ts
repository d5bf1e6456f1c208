import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { StartupError } from "./errors.js";

/**
 * Refuse to start when `vllm_command` cannot be run, instead of noticing at
 * the first request (a spawn failure then surfaces as a 502 per model).
 * A name without a slash is looked up on `PATH`, as `spawn` does.
 */
export function assertCommandRunnable(command: string, env: NodeJS.ProcessEnv = process.env): void {
  if (command.includes("/")) {
    const path = isAbsolute(command) ? command : resolve(command);
    if (!isExecutableFile(path)) throw new StartupError(`vllm_command ${JSON.stringify(command)} is not an executable file`);
    return;
  }
  const dirs = (env["PATH"] ?? "").split(delimiter).filter((dir) => dir !== "");
  if (!dirs.some((dir) => isExecutableFile(join(dir, command)))) {
    throw new StartupError(`vllm_command ${JSON.stringify(command)} was not found on PATH (install vLLM, or set vllm_command to its path)`);
  }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
