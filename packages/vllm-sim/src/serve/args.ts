import { SimConfigError } from "../errors.js";

/** The parts of a `vllm serve` command line the simulator acts on. */
export interface ServeArgs {
  modelPath: string;
  host: string;
  port: number;
  /** `--uds <path>`: serve on this Unix socket; host and port are then ignored. */
  uds: string | undefined;
  servedModelNames: string[];
  enableSleepMode: boolean;
  gpuMemoryUtilization: number;
  tensorParallelSize: number;
  dtype: string;
  maxModelLen: number;
  apiKey: string | undefined;
  /** Every vLLM flag given, as written (for the "non-default args" log line). */
  given: Record<string, string | boolean | string[]>;
  /** `--sim-<knob>` flags, knob name → value. */
  sim: Record<string, string>;
}

/** vLLM flags that take no value; any other flag takes the next word unless it starts with `--`. */
const booleanFlags = new Set([
  "enable-sleep-mode",
  "trust-remote-code",
  "enforce-eager",
  "enable-prefix-caching",
  "no-enable-prefix-caching",
  "disable-log-requests",
  "enable-log-requests",
  "disable-log-stats",
  "enable-auto-tool-choice",
  "disable-frontend-multiprocessing",
  "enable-chunked-prefill",
  "no-enable-chunked-prefill",
  "disable-custom-all-reduce",
  "enable-lora",
  "headless",
  "disable-uvicorn-access-log",
]);

/** vLLM's short aliases. */
const shortFlags: Record<string, string> = { tp: "tensor-parallel-size", pp: "pipeline-parallel-size", dp: "data-parallel-size", q: "quantization" };

/** Flags that take one or more values (argparse `nargs="+"`). */
const multiValueFlags = new Set(["served-model-name"]);

/**
 * Parse `serve <model_path> [flags]` (the words after the program name) the
 * way vLLM's argparse does for the flags llmux uses: `--flag value`,
 * `--flag=value`, `--served-model-name a b`, `--model` as an alternative to
 * the positional model.
 */
export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const words = [...argv];
  if (words[0] !== "serve") throw new SimConfigError(`usage: vllm-sim serve <model_path> [options] (got ${JSON.stringify(words[0] ?? "")})`);
  words.shift();
  const given: Record<string, string | boolean | string[]> = {};
  const sim: Record<string, string> = {};
  let modelPath: string | undefined;
  for (let index = 0; index < words.length; index++) {
    let word = words[index] as string;
    const short = /^-([a-z]+)(=.*)?$/.exec(word);
    if (short && shortFlags[short[1] as string]) word = `--${shortFlags[short[1] as string]}${short[2] ?? ""}`;
    if (!word.startsWith("--")) {
      if (modelPath !== undefined) throw new SimConfigError(`vllm serve: unrecognized arguments: ${word}`);
      modelPath = word;
      continue;
    }
    const equals = word.indexOf("=");
    const name = (equals === -1 ? word.slice(2) : word.slice(2, equals)).replaceAll("_", "-");
    const inline = equals === -1 ? undefined : word.slice(equals + 1);
    const next = (): string | undefined => {
      const candidate = words[index + 1];
      if (candidate === undefined || candidate.startsWith("--")) return undefined;
      index++;
      return candidate;
    };
    if (name.startsWith("sim-")) {
      sim[name.slice(4)] = inline ?? next() ?? "1";
    } else if (multiValueFlags.has(name)) {
      const values = inline === undefined ? [] : [inline];
      for (let value = next(); value !== undefined; value = next()) values.push(value);
      if (values.length === 0) throw new SimConfigError(`vllm serve: argument --${name}: expected at least one argument`);
      given[name] = values;
    } else if (booleanFlags.has(name)) {
      given[name] = inline ?? true;
    } else {
      const value = inline ?? next();
      if (value === undefined) throw new SimConfigError(`vllm serve: argument --${name}: expected one argument`);
      given[name] = value;
    }
  }
  if (modelPath === undefined && typeof given.model === "string") modelPath = given.model;
  if (modelPath === undefined) throw new SimConfigError("vllm serve: the following arguments are required: model_tag");
  const str = (name: string): string | undefined => {
    const value = given[name];
    return typeof value === "string" ? value : undefined;
  };
  const num = (name: string, fallback: number, check: (n: number) => boolean): number => {
    const value = str(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (value.trim() === "" || !Number.isFinite(parsed) || !check(parsed)) {
      throw new SimConfigError(`vllm serve: argument --${name}: invalid value: '${value}'`);
    }
    return parsed;
  };
  const served = given["served-model-name"];
  return {
    modelPath,
    host: str("host") ?? "0.0.0.0",
    port: num("port", 8000, (n) => Number.isInteger(n) && n >= 0 && n < 65536),
    uds: str("uds"),
    servedModelNames: Array.isArray(served) ? served : [modelPath],
    enableSleepMode: given["enable-sleep-mode"] !== undefined && given["enable-sleep-mode"] !== "false",
    gpuMemoryUtilization: num("gpu-memory-utilization", 0.9, (n) => n > 0 && n <= 1),
    tensorParallelSize: num("tensor-parallel-size", 1, (n) => Number.isInteger(n) && n >= 1),
    dtype: str("dtype") ?? "auto",
    maxModelLen: num("max-model-len", 4096, (n) => Number.isInteger(n) && n > 0),
    apiKey: str("api-key"),
    given,
    sim,
  };
}
