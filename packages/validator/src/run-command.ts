import { isLlmuxError } from "@llmux/types";
import { EXIT_USAGE } from "./report.js";
import { type RunValidationOptions, runValidation } from "./run-validation.js";

/** Exit code after Ctrl-C, as shells report SIGINT. */
export const EXIT_INTERRUPTED = 130;

export interface ValidateCommandIo {
  /** The command's name in messages (`llmux-validate`, `llmux --validate`). */
  name: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * The validate command shared by `llmux-validate` and `llmux --validate`: runs
 * the validation with SIGINT/SIGTERM turned into an abort (the model is
 * stopped, then 130), a second signal exiting at once, and errors mapped to
 * exit codes. Meant for binaries only: it installs signal handlers while it
 * runs; libraries call `runValidation` with their own signal.
 */
export async function runValidateCommand(options: Omit<RunValidationOptions, "signal" | "stdout" | "stderr">, io: ValidateCommandIo): Promise<number> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(EXIT_INTERRUPTED);
    io.stderr.write(`\n${io.name}: ${signal}: stopping the model...\n`);
    controller.abort(new Error(`received ${signal}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const { exitCode } = await runValidation({ ...options, stdout: io.stdout, stderr: io.stderr, signal: controller.signal });
    return exitCode;
  } catch (error) {
    if (isLlmuxError(error, "LLMUX_ERR_ABORTED")) {
      io.stderr.write(`${io.name}: interrupted; the model was stopped\n`);
      return EXIT_INTERRUPTED;
    }
    if (isLlmuxError(error, "LLMUX_ERR_VALIDATE_OPTIONS")) {
      io.stderr.write(`${io.name}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`${io.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
