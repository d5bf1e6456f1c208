import { Command, InvalidArgumentError, Option } from "commander";
import { ValidateOptionsError } from "./errors.js";
import { DEFAULT_MIN_RELEASE, DEFAULT_MIN_RESTORE } from "./pass-rules.js";
import type { ValidateLevel } from "./report.js";
import { VERSION } from "./version.js";

/** The bin's options after parsing. */
export interface ValidateCliOptions {
  config: string;
  model: string;
  levels: ValidateLevel[];
  verbose: boolean;
  json: boolean;
  nvidiaSmi: string;
  minRelease: number;
  minRestore: number;
}

/** Parse `1,2` / `1, 2, 3` into levels; rejects anything but 1, 2, 3 and duplicates. */
export function parseLevels(text: string): ValidateLevel[] {
  const items = text.split(",").map((item) => item.trim());
  const levels = items.map((item) => {
    if (!/^[123]$/.test(item)) throw new ValidateOptionsError(`invalid level "${item}" in --levels (expected 1, 2 or 3, comma-separated)`);
    return Number(item) as ValidateLevel;
  });
  if (new Set(levels).size !== levels.length) throw new ValidateOptionsError(`--levels repeats a level: ${text}`);
  return levels;
}

/** Parse a fraction in (0, 1]. */
export function parseFraction(text: string, name: string): number {
  const value = Number(text);
  if (text.trim() === "" || !(value > 0 && value <= 1)) {
    throw new ValidateOptionsError(`${name} must be a number in (0, 1], got "${text}"`);
  }
  return value;
}

const commanderArg =
  <T>(parse: (text: string) => T) =>
  (text: string): T => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };

/**
 * The `llmux-validate` command. `--validate <model>` is an alias of
 * `--model` so the same words work here and in `llmux --validate`.
 */
export function createValidateCommand(): Command {
  return new Command("llmux-validate")
    .description("Prove a model sleeps and wakes correctly: timings, GPU memory released and restored, identical answers.")
    .version(VERSION)
    .requiredOption("-c, --config <path>", "llmux config file (JSON)")
    .addOption(new Option("-m, --model <name>", "model to validate (a key of models in the config)"))
    .addOption(new Option("--validate <name>", "alias of --model").hideHelp(false))
    .option("-l, --levels <list>", "sleep levels to measure, comma-separated (3 = stop and cold start)", commanderArg(parseLevels), [1, 2])
    .option("-v, --verbose", "also print the answers, per-GPU memory, wake-call timings and the vLLM version", false)
    .option("--json", "print the report as JSON", false)
    .option("--nvidia-smi <path>", "nvidia-smi command used to read GPU memory", "nvidia-smi")
    .option(
      "--min-release <fraction>",
      "fraction of the model's GPU memory the sleep must free",
      commanderArg((text) => parseFraction(text, "--min-release")),
      DEFAULT_MIN_RELEASE,
    )
    .option(
      "--min-restore <fraction>",
      "fraction of the freed memory the wake must bring back",
      commanderArg((text) => parseFraction(text, "--min-restore")),
      DEFAULT_MIN_RESTORE,
    )
    .exitOverride()
    .showHelpAfterError();
}

/**
 * Parse user arguments (without `node` and the script path). Throws
 * `ValidateOptionsError` for a missing or conflicting model, and commander's
 * `CommanderError` for everything commander checks itself (also for
 * `--help`/`--version`, with `exitCode` 0).
 */
export function parseValidateArgs(
  args: readonly string[],
  output: { writeOut?: (text: string) => void; writeErr?: (text: string) => void } = {},
): ValidateCliOptions {
  const command = createValidateCommand();
  command.configureOutput({
    ...(output.writeOut ? { writeOut: output.writeOut } : {}),
    ...(output.writeErr ? { writeErr: output.writeErr } : {}),
  });
  command.parse([...args], { from: "user" });
  const raw = command.opts<{
    config: string;
    model?: string;
    validate?: string;
    levels: ValidateLevel[];
    verbose: boolean;
    json: boolean;
    nvidiaSmi: string;
    minRelease: number;
    minRestore: number;
  }>();
  if (raw.model !== undefined && raw.validate !== undefined && raw.model !== raw.validate) {
    throw new ValidateOptionsError(`--model "${raw.model}" and --validate "${raw.validate}" name different models`);
  }
  const model = raw.model ?? raw.validate;
  if (model === undefined) throw new ValidateOptionsError("name the model to validate with --model <name> (or --validate <name>)");
  return {
    config: raw.config,
    model,
    levels: raw.levels,
    verbose: raw.verbose,
    json: raw.json,
    nvidiaSmi: raw.nvidiaSmi,
    minRelease: raw.minRelease,
    minRestore: raw.minRestore,
  };
}

export { CommanderError } from "commander";
