/**
 * The contract between `@llmux/core` (which decides) and whatever runs a model
 * (a `vllm serve` process via `VllmServer`, or a simulated engine in tests and
 * the trace simulator). Core imports only this type; it never spawns anything.
 */

/** vLLM sleep levels that keep the process alive. Level 3 (stop) is `stop()`. */
export type SleepLevel = 1 | 2;

/** Why and how an engine's process ended. */
export interface EngineExit {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when `stop()` asked for it; false for a crash or an exit on its own. */
  expected: boolean;
  /** The last lines the process printed (stdout and stderr interleaved), oldest first. */
  lastLines: string[];
}

export interface EngineCallOptions {
  /** Aborts the call (the engine is left in whatever state it reached; the caller should stop it). */
  signal?: AbortSignal;
}

export interface EngineSleepOptions extends EngineCallOptions {
  /**
   * Call `/pause?wait_for_inflight_requests=true` before `/sleep` (and `/resume`
   * after the next wake), for callers that cannot guarantee the engine is idle.
   * vLLM #28714: `/sleep` with running requests crashes the engine.
   */
  pauseFirst?: boolean;
}

export interface Engine {
  /** Base URL of the engine's HTTP server, e.g. `http://127.0.0.1:8001`. No trailing slash. */
  readonly url: string;
  /**
   * The Unix socket the engine serves on while it runs, when it has one: then
   * connect there, and `url` only names the `Host`.
   */
  readonly socketPath?: string | undefined;
  /** True from a successful `start()` until the process exits. */
  readonly running: boolean;
  /** Spawn the process and resolve once `/health` answers 200. Rejects with a coded error. */
  start(options?: EngineCallOptions): Promise<void>;
  /** Put the engine to sleep at `level`; resolves once asleep. */
  sleep(level: SleepLevel, options?: EngineSleepOptions): Promise<void>;
  /**
   * Wake an engine that sleeps at `level` with the contract's sequence for that
   * level, then confirm `/is_sleeping` is false (and `/resume` if paused).
   */
  wakeUp(level: SleepLevel, options?: EngineCallOptions): Promise<void>;
  /** Send one 1-token request (used by `warmup`); optional for engines that need none. */
  warmUp?(options?: EngineCallOptions): Promise<void>;
  /** SIGTERM the process group, SIGKILL after a grace period. Idempotent; resolves when the process is gone. */
  stop(): Promise<void>;
  /** Called once when the process exits, expected or not. Returns an unsubscribe function. */
  onExit(listener: (exit: EngineExit) => void): () => void;
}
