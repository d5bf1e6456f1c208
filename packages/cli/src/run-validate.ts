import type { CliIo } from "./cli-io.js";
import { EXIT_FAILURE } from "./exit-codes.js";

export interface ValidateCommandOptions {
  config?: string | undefined;
  model: string;
  levels: Array<1 | 2>;
  verbose: boolean;
  json: boolean;
}

/** `llmux --validate <model>`: run the validator on one model of the config; exit with its code. */
export async function runValidate(_options: ValidateCommandOptions, io: CliIo): Promise<number> {
  io.stderr.write("llmux --validate: the validator is not wired yet\n");
  return EXIT_FAILURE;
}
