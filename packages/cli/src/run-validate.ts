import { runValidation, vllmServerFactory } from "@llmux/validator";
import { isLlmuxError } from "@llmux/vllm-client";
import type { CliIo } from "./cli-io.js";
import { EXIT_FAILURE, EXIT_USAGE } from "./exit-codes.js";
import { loadConfigOrReport, resolveConfigPath } from "./run-server.js";

export interface ValidateCommandOptions {
  config?: string | undefined;
  model: string;
  levels: Array<1 | 2 | 3>;
  verbose: boolean;
  json: boolean;
  nvidiaSmi?: string | undefined;
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
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error("interrupted"));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const { exitCode } = await runValidation({
      config,
      model: options.model,
      levels: options.levels,
      verbose: options.verbose,
      json: options.json,
      stdout: io.stdout,
      stderr: io.stderr as NodeJS.WritableStream & { isTTY?: boolean },
      engineFactory: vllmServerFactory,
      signal: controller.signal,
      ...(options.nvidiaSmi === undefined ? {} : { nvidiaSmi: options.nvidiaSmi }),
    });
    return exitCode;
  } catch (error) {
    if (isLlmuxError(error, "LLMUX_ERR_VALIDATE_ABORTED")) {
      // As llmux-validate: the model was stopped; 130 is the shell's code for an interrupt.
      io.stderr.write("llmux --validate: interrupted; the model was stopped\n");
      return 130;
    }
    if (isLlmuxError(error, "LLMUX_ERR_VALIDATE_OPTIONS")) {
      io.stderr.write(`${configPath}: --validate: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`llmux --validate: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
