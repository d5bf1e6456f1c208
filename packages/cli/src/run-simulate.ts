import type { CliIo } from "./cli-io.js";
import { EXIT_FAILURE } from "./exit-codes.js";

export interface SimulateCommandOptions {
  trace: string;
  config?: string | undefined;
  policies?: string | undefined;
  json?: boolean | undefined;
}

/** `llmux simulate --trace <file>`: core's trace simulator, one row per policy. */
export async function runSimulate(_options: SimulateCommandOptions, io: CliIo): Promise<number> {
  io.stderr.write("llmux simulate: the trace simulator is not wired yet\n");
  return EXIT_FAILURE;
}
