import { Command, CommanderError, Option } from "commander";
import { processIo, type CliIo } from "./cli-io.js";
import { CliUsageError } from "./errors.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
import { LOG_LEVELS } from "./logger.js";
import { parseFraction, parseLevels, parseLogFormatOption, parseNameList, parseLogLevelOption, parsePort, parsePortOrZero } from "./parse-options.js";
import { runDemo } from "./run-demo.js";
import { runServer } from "./run-server.js";
import { runSimulate } from "./run-simulate.js";
import { parseDuration, parsePositive } from "./simulate-costs.js";
import { runValidate } from "./run-validate.js";
import { VERSION } from "./version.js";

function addLogOptions(command: Command): Command {
  return command
    .addOption(new Option("--log-level <level>", `log level: ${LOG_LEVELS.join(", ")} (default: info)`).argParser(parseLogLevelOption))
    .addOption(new Option("--log-format <format>", "json or pretty (default: pretty on a terminal, json otherwise)").argParser(parseLogFormatOption));
}

/**
 * Build the `llmux` command line. Actions store their exit code in `result`;
 * nothing here exits the process.
 */
export function buildProgram(io: CliIo, result: { code: number }): Command {
  const program = new Command("llmux");
  program
    .description("An LLM multiplexer for vLLM: many models on one GPU behind one OpenAI-compatible endpoint.")
    .version(VERSION, "-V, --version", "print the version")
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .option("-c, --config <path>", "config file (default: $LLMUX_CONFIG, else config.json)")
    .option("-p, --port <port>", "port of the OpenAI-compatible endpoint (overrides the config's port)", parsePort)
    .option("--state-file <path>", "record of spawned vLLM processes (default: $LLMUX_STATE_FILE, else ~/.local/state/llmux/<port>.json)")
    .addOption(new Option("--preload <models>", "start these models (comma-separated names) at start-up, as `preload: true` does").argParser(parseNameList))
    .option("--validate <model>", "validate that <model> sleeps and wakes correctly, print the report and exit")
    .addOption(new Option("--levels <levels>", "with --validate: sleep levels to test (3 = stop and cold start)").argParser(parseLevels).default([1, 2], "1,2"))
    .option("--verbose", "with --validate: answers, per-call timings and per-GPU memory")
    .option("--json", "with --validate: print the report as JSON")
    .option("--nvidia-smi <path>", "with --validate: the nvidia-smi executable (default: nvidia-smi)")
    .addOption(new Option("--min-release <fraction>", "with --validate: share of the model's memory a sleep must free (default 0.8)").argParser(parseFraction))
    .addOption(
      new Option("--min-restore <fraction>", "with --validate: share of the freed memory a wake must bring back (default 0.8)").argParser(parseFraction),
    );
  addLogOptions(program).action(async (options) => {
    if (options.validate !== undefined) {
      if (options.preload !== undefined) throw new CliUsageError("--preload does not apply with --validate");
      result.code = await runValidate(
        {
          config: options.config,
          model: options.validate,
          levels: options.levels,
          verbose: Boolean(options.verbose),
          json: Boolean(options.json),
          nvidiaSmi: options.nvidiaSmi,
          minRelease: options.minRelease,
          minRestore: options.minRestore,
        },
        io,
      );
      return;
    }
    const validateOnly = [
      ["verbose", options.verbose],
      ["json", options.json],
      ["nvidia-smi", options.nvidiaSmi],
      ["min-release", options.minRelease],
      ["min-restore", options.minRestore],
    ] as const;
    for (const [flag, value] of validateOnly) {
      if (value !== undefined) throw new CliUsageError(`--${flag} only applies with --validate`);
    }
    // --levels has a default, so only its source tells whether someone typed it.
    if (program.getOptionValueSource("levels") === "cli") throw new CliUsageError("--levels only applies with --validate");
    result.code = await runServer(options, io);
  });

  addLogOptions(
    program
      .command("demo")
      .description("run llmux in front of three simulated vLLM servers (no GPU needed) and print curl commands to try")
      .option("-p, --port <port>", "port of the endpoint", parsePort, 3000)
      .option("--metrics-port <port>", "Prometheus port (default: 9090, or a free one if taken; 0 disables)", parsePortOrZero)
      .option("--state-file <path>", "record of spawned simulator processes"),
  ).action(async (options) => {
    result.code = await runDemo(options, io);
  });

  program
    .command("simulate")
    .description("replay an arrival trace in virtual time against each switching policy and print the comparison table")
    .requiredOption("--trace <file>", "JSON-lines trace: one {time, model, tokens} per line")
    .option("-c, --config <path>", "config whose models and policy settings to simulate (default: two-model defaults from the trace)")
    .option("--policies <names>", "comma-separated policies to compare (default: all)")
    .option("--json", "print the results as JSON")
    .option("--from-status <url>", "use the per-model sleep, wake and start costs a running llmux measured (its /llmux/status)")
    .option("--sleep1-secs <secs>", "level-1 sleep of every model (default 10)", parseDuration)
    .option("--wake1-secs <secs>", "level-1 wake (default 1)", parseDuration)
    .option("--sleep2-secs <secs>", "level-2 sleep (default 0.3)", parseDuration)
    .option("--wake2-secs <secs>", "level-2 wake (default 8)", parseDuration)
    .option("--start-secs <secs>", "cold start (default 60)", parseDuration)
    .option("--stop-secs <secs>", "stop (default 2)", parseDuration)
    .option("--tokens-per-sec <rate>", "decode rate of one sequence (default: the model's decode_tokens_per_sec, 40)", parsePositive)
    .option("--prefill-ms <ms>", "time to first token (default 200)", parseDuration)
    .option("--batch <n>", "sequences one engine runs at once (default: --max-num-seqs in extra_args, else 64)", parsePositive)
    .action(async (options) => {
      result.code = await runSimulate(options, io);
    });

  return program;
}

/** Run the command line and resolve with the process exit code. Never throws, never exits. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const result = { code: EXIT_OK };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof CliUsageError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`llmux: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}
