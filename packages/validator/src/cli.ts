#!/usr/bin/env node
import { CommanderError, parseValidateArgs } from "./cli-options.js";
import { loadConfigFile } from "./load-config.js";
import { EXIT_USAGE } from "./report.js";
import { runValidateCommand } from "./run-command.js";

async function main(): Promise<number> {
  let options;
  try {
    options = parseValidateArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    process.stderr.write(`llmux-validate: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  let config;
  try {
    config = await loadConfigFile(options.config);
  } catch (error) {
    process.stderr.write(`llmux-validate: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }

  return runValidateCommand(
    {
      config,
      model: options.model,
      levels: options.levels,
      verbose: options.verbose,
      json: options.json,
      nvidiaSmi: options.nvidiaSmi,
      minRelease: options.minRelease,
      minRestore: options.minRestore,
    },
    { name: "llmux-validate", stdout: process.stdout, stderr: process.stderr },
  );
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`llmux-validate: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
