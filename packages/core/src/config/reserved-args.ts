/**
 * What a model's `extra_args` and `env` may not override: the flags and
 * variables llmux sets itself. vLLM's argument parser keeps the last
 * occurrence of a flag (and `extra_args` come last), accepts `_` for `-`,
 * any unambiguous prefix of a long flag, and `--no-<flag>` for its boolean
 * flags, so every one of those spellings must be caught, not only the exact one.
 */

const RESERVED_FLAGS = {
  // vLLM's admin routes (/sleep, /collective_rpc, ...) have no authentication.
  "--host": "vLLM is bound to 127.0.0.1 because its admin routes have no authentication",
  "--port": "the model's `port` field",
  "--uds": "llmux chooses how it reaches vLLM",
  "--served-model-name": "the model's name in `models`",
  "--enable-sleep-mode": "always on: without it a sleep frees nothing",
  "--no-enable-sleep-mode": "sleep mode is always on: without it a sleep frees nothing",
} as const;

const RESERVED_ENV = {
  // vLLM parses it as an integer; anything but 1 removes the sleep routes llmux drives.
  VLLM_SERVER_DEV_MODE: "llmux sets it to 1: the sleep and wake routes exist only in dev mode",
  CUDA_VISIBLE_DEVICES: "the model's `gpus` field",
} as const;

/** Shortest prefix argparse could take for a reserved flag that we refuse (shorter ones are ambiguous in vLLM). */
const MIN_PREFIX = 4;

/** The reserved flag `arg` spells (exactly, with `=value`, `_` for `-`, or as a prefix), with why; undefined if none. */
export function reservedFlag(arg: string): { flag: string; why: string } | undefined {
  if (!arg.startsWith("--")) return undefined;
  const equals = arg.indexOf("=");
  const name = `--${(equals === -1 ? arg.slice(2) : arg.slice(2, equals)).replaceAll("_", "-")}`;
  for (const [flag, why] of Object.entries(RESERVED_FLAGS)) {
    if (name === flag || (name.length - 2 >= MIN_PREFIX && flag.startsWith(name))) return { flag, why };
  }
  return undefined;
}

/** Why llmux owns the environment variable `key`; undefined when a model may set it. */
export function reservedEnv(key: string): string | undefined {
  return Object.hasOwn(RESERVED_ENV, key) ? RESERVED_ENV[key as keyof typeof RESERVED_ENV] : undefined;
}

/** Names that are special on every JavaScript object: a config keyed by them would be dropped or corrupt a lookup. */
export const RESERVED_MODEL_NAMES: readonly string[] = ["__proto__", "constructor", "prototype"];
