import type { VllmServerOptions } from "./options.js";
import { DEFAULTS } from "./options.js";

/**
 * The exact argv (without the executable) of `vllm serve` for these options:
 * `--uds socketPath` when given (vLLM then ignores host and port), else
 * `--host` and `--port`. Pure.
 */
export function buildVllmArgs(options: VllmServerOptions, socketPath?: string): string[] {
  const listen = socketPath !== undefined ? ["--uds", socketPath] : ["--host", options.host ?? DEFAULTS.host, "--port", String(options.port)];
  return [
    "serve",
    options.modelPath,
    ...listen,
    "--enable-sleep-mode",
    "--served-model-name",
    options.name,
    "--gpu-memory-utilization",
    String(options.gpuMemoryUtilization ?? DEFAULTS.gpuMemoryUtilization),
    "--tensor-parallel-size",
    String(options.tensorParallelSize ?? DEFAULTS.tensorParallelSize),
    "--dtype",
    options.dtype ?? DEFAULTS.dtype,
    ...(options.extraArgs ?? []),
  ];
}

/**
 * The environment of the child: the inherited one, the per-model `env`, then
 * what llmux must control. `VLLM_SERVER_DEV_MODE` must be exactly `1`: vLLM
 * parses it as an integer and exits on `true`; without it the sleep routes do
 * not exist. Pure.
 */
export function buildVllmEnv(options: Pick<VllmServerOptions, "env" | "gpus">, inherited: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(inherited)) {
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, options.env ?? {});
  env["VLLM_SERVER_DEV_MODE"] = "1";
  if (options.gpus !== undefined) env["CUDA_VISIBLE_DEVICES"] = options.gpus.join(",");
  return env;
}

/** A copy-pasteable rendering of the command line, for logs and docs (POSIX shell quoting). */
export function formatCommandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map(shellQuote).join(" ");
}

function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
