import { runValidateCommand, vllmServerFactory } from "@llmux/validator";
import type { CliIo } from "./cli-io.js";
import { loadConfigOrReport, resolveConfigPath } from "./run-server.js";

export interface ValidateCommandOptions {
  config?: string | undefined;
  model: string;
  levels: Array<1 | 2 | 3>;
  verbose: boolean;
  json: boolean;
  nvidiaSmi?: string | undefined;
  minRelease?: number | undefined;
  minRestore?: number | undefined;
}

/**
 * `llmux --config … --validate <model>`: run the validator on one model of the
 * config, print its table (or JSON) and exit with its code. Ctrl-C stops the
 * model before exiting.
 */
export async function runValidate(options: ValidateCommandOptions, io: CliIo): Promise<number> {
  const configPath = resolveConfigPath(options.config, io.env);
  const config = loadConfigOrReport(configPath, undefined, io);
  if (typeof config === "number") return config;
  return runValidateCommand(
    {
      config,
      model: options.model,
      levels: options.levels,
      verbose: options.verbose,
      json: options.json,
      engineFactory: vllmServerFactory,
      ...(options.nvidiaSmi === undefined ? {} : { nvidiaSmi: options.nvidiaSmi }),
      ...(options.minRelease === undefined ? {} : { minRelease: options.minRelease }),
      ...(options.minRestore === undefined ? {} : { minRestore: options.minRestore }),
    },
    { name: "llmux --validate", stdout: io.stdout, stderr: io.stderr as NodeJS.WritableStream & { isTTY?: boolean } },
  );
}
