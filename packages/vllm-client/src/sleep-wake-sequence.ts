import type { VllmControlClient } from "./control-client.js";
import type { SleepLevel } from "@llmux/types";
import { confirmIdle } from "./confirm-idle.js";
import { ControlTimeoutError, SleepFailedError, SleepTimeoutError, WakeFailedError, WakeTimeoutError } from "./errors.js";
import { LlmuxError } from "@llmux/types";

/** One control call of a sleep or wake sequence and how long it took. */
export interface ControlCallTiming {
  /** Method and path, e.g. `POST /wake_up?tags=weights`. */
  route: string;
  durationMs: number;
}

/** What `sleep()` did. */
export interface SleepReport {
  level: SleepLevel;
  paused: boolean;
  calls: ControlCallTiming[];
  durationMs: number;
}

/** What `wakeUp()` did, call by call (the validator prints this with `--verbose`). */
export interface WakeReport {
  level: SleepLevel;
  resumed: boolean;
  calls: ControlCallTiming[];
  durationMs: number;
}

export interface SequenceTimeouts {
  /** Each `/pause` and `/sleep` call. */
  sleepTimeoutMs: number;
  /** Each `/wake_up`, `reload_weights` and `/reset_prefix_cache` call. */
  wakeTimeoutMs: number;
  /** `/is_sleeping` and `/resume`. */
  callTimeoutMs: number;
}

type Now = () => number;

class Recorder {
  readonly calls: ControlCallTiming[] = [];
  readonly #now: Now;
  readonly started: number;
  constructor(now: Now) {
    this.#now = now;
    this.started = now();
  }
  async time<T>(route: string, call: () => Promise<T>): Promise<T> {
    const started = this.#now();
    try {
      return await call();
    } finally {
      this.calls.push({ route, durationMs: this.#now() - started });
    }
  }
  elapsed(): number {
    return this.#now() - this.started;
  }
}

/**
 * `/pause?wait_for_inflight_requests=true` when `pauseFirst` (vLLM #28714:
 * `/sleep` with running requests crashes the engine), then `/sleep?level=N`.
 * Failures become `LLMUX_ERR_SLEEP_FAILED` / `LLMUX_ERR_SLEEP_TIMEOUT` with the
 * control error as `cause`; an abort passes through as `LLMUX_ERR_ABORTED`.
 */
export async function runSleepSequence(
  control: VllmControlClient,
  level: SleepLevel,
  options: { pauseFirst: boolean; timeouts: SequenceTimeouts; signal?: AbortSignal; now?: Now; idleWaitMs?: number },
): Promise<SleepReport> {
  const recorder = new Recorder(options.now ?? performance.now.bind(performance));
  const call = { timeoutMs: options.timeouts.sleepTimeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  try {
    if (options.pauseFirst) {
      await recorder.time("POST /pause?wait_for_inflight_requests=true", () => control.pause(call));
    } else if (options.idleWaitMs !== undefined) {
      const waitMs = options.idleWaitMs;
      await recorder.time("GET /metrics (until no request runs)", () =>
        confirmIdle(control, level, { waitMs, callTimeoutMs: options.timeouts.callTimeoutMs, ...(options.signal ? { signal: options.signal } : {}) }),
      );
    }
    await recorder.time(`POST /sleep?level=${level}`, () => control.sleep(level, call));
  } catch (error) {
    throw sleepError(level, error);
  }
  return { level, paused: options.pauseFirst, calls: recorder.calls, durationMs: recorder.elapsed() };
}

/**
 * Level 1: `/wake_up`. Level 2 (vLLM #29341: without the reload the weights are
 * garbage): `/wake_up?tags=weights`, `reload_weights`, `/wake_up?tags=kv_cache`,
 * `/reset_prefix_cache`. Then `/is_sleeping` must be false, then `/resume` when
 * the sleep paused the engine. Failures become `LLMUX_ERR_WAKE_FAILED` /
 * `LLMUX_ERR_WAKE_TIMEOUT` with the control error as `cause`.
 */
export async function runWakeSequence(
  control: VllmControlClient,
  level: SleepLevel,
  options: { resume: boolean; timeouts: SequenceTimeouts; signal?: AbortSignal; now?: Now },
): Promise<WakeReport> {
  const recorder = new Recorder(options.now ?? performance.now.bind(performance));
  const signal = options.signal ? { signal: options.signal } : {};
  const wakeCall = { timeoutMs: options.timeouts.wakeTimeoutMs, ...signal };
  const quickCall = { timeoutMs: options.timeouts.callTimeoutMs, ...signal };
  try {
    if (level === 1) {
      await recorder.time("POST /wake_up", () => control.wakeUp([], wakeCall));
    } else {
      await recorder.time("POST /wake_up?tags=weights", () => control.wakeUp(["weights"], wakeCall));
      await recorder.time("POST /collective_rpc reload_weights", () => control.reloadWeights(wakeCall));
      await recorder.time("POST /wake_up?tags=kv_cache", () => control.wakeUp(["kv_cache"], wakeCall));
      await recorder.time("POST /reset_prefix_cache", () => control.resetPrefixCache(wakeCall));
    }
    const sleeping = await recorder.time("GET /is_sleeping", () => control.isSleeping(quickCall));
    if (sleeping) {
      throw new WakeFailedError(level, `engine still reports is_sleeping=true after the level-${level} wake sequence`);
    }
    if (options.resume) {
      await recorder.time("POST /resume", () => control.resume(quickCall));
    }
  } catch (error) {
    throw wakeError(level, error);
  }
  return { level, resumed: options.resume, calls: recorder.calls, durationMs: recorder.elapsed() };
}

function sleepError(level: SleepLevel, error: unknown): LlmuxError {
  if (LlmuxError.isInstance(error, "LLMUX_ERR_ABORTED") || error instanceof SleepFailedError) return error;
  if (error instanceof ControlTimeoutError) return new SleepTimeoutError(level, error.timeoutMs, { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new SleepFailedError(level, `sleep at level ${level} failed: ${detail}`, { cause: error });
}

function wakeError(level: SleepLevel, error: unknown): LlmuxError {
  if (LlmuxError.isInstance(error, "LLMUX_ERR_ABORTED") || error instanceof WakeFailedError) return error;
  if (error instanceof ControlTimeoutError) return new WakeTimeoutError(level, error.timeoutMs, { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new WakeFailedError(level, `wake from level ${level} failed: ${detail}`, { cause: error });
}
