import { isLlmuxError } from "@llmux/types";
import type { CliIo } from "./cli-io.js";
import { loadConfigFile } from "./config-file.js";
import { EXIT_FAILURE, EXIT_USAGE } from "./exit-codes.js";
import { formatConfigIssues, hasConfigIssues } from "./format-config-error.js";
import { createLogger, type LogFormat, type LogLevel } from "./logger.js";
import { handleShutdownSignals } from "./signals.js";
import { reloadOnSighup, type ReloadSource } from "./config-reload.js";
import { startLlmux } from "./start-llmux.js";
import type { LlmuxConfig } from "@llmux/core";
import { createLogBook, type LogBook } from "@llmux/proxy";
import type { Logger } from "pino";

export interface ServeOptions {
  config?: string | undefined;
  port?: number | undefined;
  logLevel?: LogLevel | undefined;
  logFormat?: LogFormat | undefined;
  stateFile?: string | undefined;
  /** `--preload`: models to bring up at start-up besides those with `preload: true`. */
  preload?: string[] | undefined;
}

/** The config path: `--config`, else `$LLMUX_CONFIG`, else `config.json`. */
export function resolveConfigPath(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option ?? (env["LLMUX_CONFIG"] || "config.json");
}

/**
 * Load the config for a command, printing what is wrong with it. Returns the
 * config, or the exit code (2) when it is unusable.
 */
export function loadConfigOrReport(path: string, port: number | undefined, io: CliIo, hint?: string): LlmuxConfig | number {
  try {
    return loadConfigFile(path, { port });
  } catch (error) {
    if (isLlmuxError(error, "LLMUX_ERR_CONFIG_FILE") && hint !== undefined && (error.cause as NodeJS.ErrnoException)?.code === "ENOENT") {
      io.stderr.write(`${error.message}\n${hint}\n`);
      return EXIT_USAGE;
    }
    if (hasConfigIssues(error)) {
      io.stderr.write(`${formatConfigIssues(path, error.issues).join("\n")}\n`);
      return EXIT_USAGE;
    }
    if (isLlmuxError(error, "LLMUX_ERR_CONFIG_FILE")) {
      io.stderr.write(`${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** `llmux [--config …]`: run until SIGINT/SIGTERM, then shut down cleanly. */
export async function runServer(options: ServeOptions, io: CliIo): Promise<number> {
  const configPath = resolveConfigPath(options.config, io.env);
  // Someone who just typed `llmux` gets told where to start.
  const hint =
    options.config === undefined && !io.env["LLMUX_CONFIG"]
      ? "Pass --config <path> (see the README's configuration reference), or run `llmux demo` to try llmux without a GPU."
      : undefined;
  const config = loadConfigOrReport(configPath, options.port, io, hint);
  if (typeof config === "number") return config;
  for (const name of options.preload ?? []) {
    const model = config.models[name];
    if (!model) {
      io.stderr.write(`--preload: unknown model "${name}" (configured: ${Object.keys(config.models).join(", ")})\n`);
      return EXIT_USAGE;
    }
    model.preload = true;
  }
  const logs = createLogBook(config);
  const logger = createLogger({
    ...(options.logLevel ? { level: options.logLevel } : {}),
    ...(options.logFormat ? { format: options.logFormat } : {}),
    logBook: logs,
  });
  return serveUntilSignal(config, logger, options.stateFile, undefined, logs, { path: configPath, overrides: { port: options.port } });
}

/** Start llmux with `config`, and shut it down on SIGINT/SIGTERM. Resolves with the exit code. */
export async function serveUntilSignal(
  config: LlmuxConfig,
  logger: Logger,
  stateFile: string | undefined,
  onListening?: (urls: { url: string; metricsUrl: string | undefined }) => void,
  logs?: LogBook,
  reloadFrom?: ReloadSource,
): Promise<number> {
  let running;
  try {
    running = await startLlmux(config, {
      logger,
      ...(stateFile === undefined ? {} : { stateFile }),
      ...(logs === undefined ? {} : { logs }),
      ...(reloadFrom === undefined ? {} : { reloadFrom }),
    });
  } catch (error) {
    // One line a person can read: the coded errors' messages already say what and where; a stack is for bugs.
    if (isLlmuxError(error)) logger.error({ code: error.code }, `llmux could not start: ${error.message}`);
    else logger.error({ err: error }, `llmux could not start: ${(error as Error)?.message ?? String(error)}`);
    return EXIT_FAILURE;
  }
  onListening?.({ url: running.url, metricsUrl: running.metricsUrl });
  const signals = handleShutdownSignals(running, logger);
  const stopSighup = running.reload === undefined ? undefined : reloadOnSighup(running.reload);
  // A bug must not orphan the vLLM processes: kill them, then exit non-zero.
  let onCrash!: (error: unknown) => void;
  const crashed = new Promise<number>((resolve) => {
    let seen = false;
    onCrash = (error) => {
      if (seen) return;
      seen = true;
      logger.fatal({ err: error }, "unexpected error; stopping every vLLM process");
      void running.destroy(error instanceof Error ? error : new Error(String(error))).finally(() => resolve(EXIT_FAILURE));
    };
  });
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  try {
    return await Promise.race([signals.done, crashed]);
  } finally {
    signals.dispose();
    stopSighup?.();
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
  }
}
