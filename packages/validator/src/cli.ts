#!/usr/bin/env node
import { isLlmuxError } from "@llmux/vllm-client";
import { CommanderError, parseValidateArgs } from "./cli-options.js";
import { loadConfigFile } from "./load-config.js";
import { EXIT_USAGE } from "./report.js";
import { runValidation } from "./run-validation.js";

/** Exit code after Ctrl-C, as shells report SIGINT. */
const EXIT_INTERRUPTED = 130;

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

  // The library never installs signal handlers; the bin turns Ctrl-C/SIGTERM into an abort,
  // which stops the model before exiting. A second signal exits at once.
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(EXIT_INTERRUPTED);
    process.stderr.write(`\nllmux-validate: ${signal}: stopping the model...\n`);
    controller.abort(new Error(`received ${signal}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const { exitCode } = await runValidation({
      config,
      model: options.model,
      levels: options.levels,
      verbose: options.verbose,
      json: options.json,
      nvidiaSmi: options.nvidiaSmi,
      minRelease: options.minRelease,
      minRestore: options.minRestore,
      signal: controller.signal,
    });
    return exitCode;
  } catch (error) {
    if (isLlmuxError(error, "LLMUX_ERR_VALIDATE_ABORTED")) return EXIT_INTERRUPTED;
    if (isLlmuxError(error, "LLMUX_ERR_VALIDATE_OPTIONS")) {
      process.stderr.write(`llmux-validate: ${error.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`llmux-validate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
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
