/** Options of one `VllmServer` (see the README for defaults and meaning). */
export interface VllmServerOptions {
  /** The llmux model name; becomes `--served-model-name`. */
  name: string;
  /** What `vllm serve` loads (a local path or a hub id). */
  modelPath: string;
  /**
   * TCP port on `host`. Absent: vLLM serves on a Unix socket (`--uds`) in a
   * fresh 0700 directory made for each start and removed when the process ends.
   */
  port?: number;
  /** Default `127.0.0.1`: vLLM's admin routes have no authentication and must stay local. */
  host?: string;
  /** The executable; default `vllm`. Tests pass the simulator's path. */
  command?: string;
  /** Default 0.9. */
  gpuMemoryUtilization?: number;
  /** Default 1. */
  tensorParallelSize?: number;
  /** Default `auto`. */
  dtype?: string;
  /** Extra argv items appended verbatim after the managed flags (never shell-interpolated). */
  extraArgs?: readonly string[];
  /** Per-model environment, on top of the inherited one. */
  env?: Readonly<Record<string, string>>;
  /** GPU indices; become `CUDA_VISIBLE_DEVICES` when given. */
  gpus?: readonly number[];
  /** How long `start()` waits for `/health` to answer 200. Default 600 000 ms. */
  startupTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL in `stop()`. Default 10 000 ms. */
  stopGraceMs?: number;
  /** Timeout of quick control calls (`/health`, `/version`, `/is_sleeping`, pause/resume). Default 10 000 ms. */
  callTimeoutMs?: number;
  /** Timeout of one `/sleep` call. Default 120 000 ms (level-1 sleep takes up to ~36 s on real hardware). */
  sleepTimeoutMs?: number;
  /** Timeout of each wake call (`/wake_up`, `reload_weights`, `reset_prefix_cache`). Default 600 000 ms (a wake may read weights from disk). */
  wakeTimeoutMs?: number;
  /** Interval between `/health` polls during start-up. Default 50 ms. */
  healthIntervalMs?: number;
  /** How many log lines to keep for error messages. Default 50. */
  keepLines?: number;
  /** How long an idle control connection is reused. Default 4 000 ms (uvicorn closes them after 5 s). */
  keepAliveMs?: number;
  /**
   * Longest `sleep()` waits, before `/sleep`, for vLLM's running-requests gauge to read 0 (a request whose client
   * went away leaves the engine a moment later). Default 30 000 ms; past it the sleep fails (and llmux stops the engine).
   */
  idleWaitMs?: number;
}

/** The options with every default filled in. */
export type ResolvedVllmServerOptions = Required<Omit<VllmServerOptions, "gpus" | "port">> & {
  gpus: readonly number[] | undefined;
  port: number | undefined;
};

export const DEFAULTS = {
  host: "127.0.0.1",
  command: "vllm",
  gpuMemoryUtilization: 0.9,
  tensorParallelSize: 1,
  dtype: "auto",
  startupTimeoutMs: 600_000,
  stopGraceMs: 10_000,
  callTimeoutMs: 10_000,
  sleepTimeoutMs: 120_000,
  wakeTimeoutMs: 600_000,
  healthIntervalMs: 50,
  keepLines: 50,
  keepAliveMs: 4_000,
  idleWaitMs: 30_000,
} as const;

export function resolveOptions(options: VllmServerOptions): ResolvedVllmServerOptions {
  return {
    name: options.name,
    modelPath: options.modelPath,
    port: options.port,
    host: options.host ?? DEFAULTS.host,
    command: options.command ?? DEFAULTS.command,
    gpuMemoryUtilization: options.gpuMemoryUtilization ?? DEFAULTS.gpuMemoryUtilization,
    tensorParallelSize: options.tensorParallelSize ?? DEFAULTS.tensorParallelSize,
    dtype: options.dtype ?? DEFAULTS.dtype,
    extraArgs: options.extraArgs ?? [],
    env: options.env ?? {},
    gpus: options.gpus,
    startupTimeoutMs: options.startupTimeoutMs ?? DEFAULTS.startupTimeoutMs,
    stopGraceMs: options.stopGraceMs ?? DEFAULTS.stopGraceMs,
    callTimeoutMs: options.callTimeoutMs ?? DEFAULTS.callTimeoutMs,
    sleepTimeoutMs: options.sleepTimeoutMs ?? DEFAULTS.sleepTimeoutMs,
    wakeTimeoutMs: options.wakeTimeoutMs ?? DEFAULTS.wakeTimeoutMs,
    healthIntervalMs: options.healthIntervalMs ?? DEFAULTS.healthIntervalMs,
    keepLines: options.keepLines ?? DEFAULTS.keepLines,
    keepAliveMs: options.keepAliveMs ?? DEFAULTS.keepAliveMs,
    idleWaitMs: options.idleWaitMs ?? DEFAULTS.idleWaitMs,
  };
}
