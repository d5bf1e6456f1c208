import { parseConfig } from "@llmux/core";
import { LogBook } from "@llmux/proxy";
import type { CliIo } from "./cli-io.js";
import { buildDemoConfig, demoInstructions } from "./demo.js";
import { EXIT_FAILURE } from "./exit-codes.js";
import { createLogger, type LogFormat, type LogLevel } from "./logger.js";
import { serveUntilSignal } from "./run-server.js";

export interface DemoOptions {
  port?: number | undefined;
  metricsPort?: number | undefined;
  logLevel?: LogLevel | undefined;
  logFormat?: LogFormat | undefined;
  stateFile?: string | undefined;
}

/** `llmux demo`: llmux in front of three simulated vLLM servers, until Ctrl-C. */
export async function runDemo(options: DemoOptions, io: CliIo): Promise<number> {
  // The demo's config has no keys to scrub and keeps the default number of lines.
  const logs = new LogBook({ lines: 1000 });
  const logger = createLogger({
    ...(options.logLevel ? { level: options.logLevel } : {}),
    ...(options.logFormat ? { format: options.logFormat } : {}),
    logBook: logs,
  });
  const port = options.port ?? 3000;
  let setup;
  try {
    setup = await buildDemoConfig({ port, metricsPort: options.metricsPort });
  } catch (error) {
    logger.error({ err: error }, `cannot set up the demo: ${(error as Error).message}`);
    return EXIT_FAILURE;
  }
  try {
    const config = parseConfig(setup.config);
    return await serveUntilSignal(
      config,
      logger,
      options.stateFile,
      ({ url, metricsUrl }) => {
        io.stdout.write(`${demoInstructions(url, metricsUrl)}\n`);
      },
      logs,
    );
  } finally {
    setup.cleanup();
  }
}
