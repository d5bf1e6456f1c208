import { formatJson, formatReport } from "./format-table.js";
import { ProgressLine } from "./progress.js";
import type { ValidationReport } from "./report.js";
import { validateModel } from "./validate-model.js";
import type { ValidateModelOptions } from "./validate-model.js";

export interface RunValidationOptions extends ValidateModelOptions {
  /** Print the report as JSON instead of the table. */
  json?: boolean;
  /** Add answers, per-GPU memory, wake-call timings and the vLLM version to the table output. */
  verbose?: boolean;
  /** Where the report goes (default `process.stdout`). */
  stdout?: NodeJS.WritableStream;
  /** Where progress goes (default `process.stderr`); progress shows only when it is a TTY. */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force progress on or off (default: on when `stderr` is a TTY). */
  progress?: boolean;
}

export interface RunValidationResult {
  /** 0 all passed, 1 some failed, 3 nothing failed but GPU memory was not checked. */
  exitCode: number;
  report: ValidationReport;
}

/**
 * Validate a model and print the report: what `llmux-validate` and
 * `llmux --validate` run. Rejects only for bad options
 * (`LLMUX_ERR_VALIDATE_OPTIONS`) and aborts (`LLMUX_ERR_ABORTED`);
 * every measured failure is in the report and the exit code.
 */
export async function runValidation(options: RunValidationOptions): Promise<RunValidationResult> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const progress = new ProgressLine(stderr, options.progress === undefined ? {} : { enabled: options.progress });
  const userProgress = options.onProgress;
  let report: ValidationReport;
  try {
    report = await validateModel({
      ...options,
      onProgress: (event) => {
        progress.update(event);
        userProgress?.(event);
      },
    });
  } finally {
    progress.clear();
  }
  stdout.write(options.json ? formatJson(report) : formatReport(report, { verbose: options.verbose ?? false }));
  return { exitCode: report.exitCode, report };
}
