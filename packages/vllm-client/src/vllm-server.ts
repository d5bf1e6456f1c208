import { EventEmitter } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { buildVllmArgs, buildVllmEnv } from "./build-args.js";
import { VllmControlClient } from "./control-client.js";
import { describeExit, EngineProcess, type LogStream } from "./engine-process.js";
import type { Engine, EngineCallOptions, EngineExit, EngineSleepOptions, SleepLevel } from "@llmux/types";
import {
  AbortedError,
  ControlUnreachableError,
  EngineExitedError,
  EngineStateError,
  EngineStoppedError,
  ForeignListenerError,
  StartFailedError,
  StartTimeoutError,
  UnsafeSocketError,
} from "./errors.js";
import { LineBuffer } from "./line-buffer.js";
import { LlmuxError } from "@llmux/types";
import { listenerOwnership } from "./listener-owner.js";
import { resolveOptions, type ResolvedVllmServerOptions, type VllmServerOptions } from "./options.js";
import { assertPortFree } from "./port-check.js";
import { createSocketDir, removeSocketDir, socketProblem } from "./socket-dir.js";
import { runSleepSequence, runWakeSequence, type SleepReport, type WakeReport } from "./sleep-wake-sequence.js";
import { isBrokenSleepVersion } from "./version-check.js";

export type { LogStream } from "./engine-process.js";

export interface VllmServerWarning {
  code: "LLMUX_WARN_BROKEN_SLEEP_VERSION" | "LLMUX_WARN_VERSION_UNKNOWN";
  message: string;
}

export interface VllmServerEvents {
  log: [line: string, stream: LogStream];
  spawn: [info: { pid: number; argv: string[] }];
  ready: [info: { version: string | undefined; durationMs: number }];
  warning: [warning: VllmServerWarning];
  sleep: [report: SleepReport];
  wake: [report: WakeReport];
  exit: [exit: EngineExit];
}

export type VllmServerState = "idle" | "starting" | "running" | "stopping" | "stopped" | "exited";

/** One spawned process and the control client tied to its life. */
interface Run {
  process: EngineProcess;
  control: VllmControlClient;
  /** The Unix socket and its private directory, when the engine has no port. */
  socket: { dir: string; socketPath: string } | undefined;
}

/** How long a call that lost its connection waits for the exit event before it reports the call's own error. */
const CONNECTION_LOSS_WAIT_MS = 2_000;

/**
 * One `vllm serve` process: spawn in its own process group, readiness, the
 * sleep/wake sequences of `docs/vllm-api.md`, and a stop that leaves no process
 * of the group behind. Implements the `Engine` that `@llmux/core` drives.
 */
export class VllmServer extends EventEmitter<VllmServerEvents> implements Engine {
  readonly options: ResolvedVllmServerOptions;
  /** `http://host:port`; with a Unix socket `http://localhost`, which only names the `Host` (see `socketPath`). */
  readonly url: string;
  #args: readonly string[];
  #state: VllmServerState = "idle";
  #run: Run | undefined;
  #starting: Promise<void> | undefined;
  #lines: LineBuffer;
  #version: string | undefined;
  /** Set by a sleep with `pauseFirst`; the next successful wake calls `/resume`. */
  #paused = false;
  #lastSleep: SleepReport | undefined;
  #lastWake: WakeReport | undefined;
  #stopBeforeSpawn = false;

  constructor(options: VllmServerOptions) {
    super();
    this.options = resolveOptions(options);
    this.#args = buildVllmArgs(this.options);
    this.url =
      this.options.port === undefined
        ? "http://localhost"
        : `http://${this.options.host.includes(":") ? `[${this.options.host}]` : this.options.host}:${this.options.port}`;
    this.#lines = new LineBuffer(this.options.keepLines);
  }

  /** The argv after the executable of the current or last process (see `buildVllmArgs`). */
  get args(): readonly string[] {
    return this.#args;
  }

  /** The Unix socket the current process serves on; undefined with a port, or before the first spawn. */
  get socketPath(): string | undefined {
    return this.#run?.socket?.socketPath;
  }

  get state(): VllmServerState {
    return this.#state;
  }

  /** True from a successful `start()` until the process exits. */
  get running(): boolean {
    return this.#state === "running";
  }

  /** The pid (= process group id) of the current or last process. */
  get pid(): number | undefined {
    return this.#run?.process.pid;
  }

  /** What `/version` answered once ready. */
  get version(): string | undefined {
    return this.#version;
  }

  /** Timings of the last successful `sleep()`. */
  get lastSleep(): SleepReport | undefined {
    return this.#lastSleep;
  }

  /** Timings of the last successful `wakeUp()`, call by call. */
  get lastWake(): WakeReport | undefined {
    return this.#lastWake;
  }

  /** The last log lines (stdout and stderr interleaved), oldest first. */
  lastLines(): string[] {
    return this.#lines.lastLines();
  }

  /** Spawn and wait for `/health` 200. While starting, returns the same promise; when running, resolves. */
  start(options: EngineCallOptions = {}): Promise<void> {
    if (this.#state === "starting" && this.#starting) return this.#starting;
    if (this.#state === "running") return Promise.resolve();
    if (this.#state === "stopping") {
      return Promise.reject(new EngineStateError("cannot start while the previous process is stopping; await stop() first"));
    }
    this.#state = "starting";
    this.#starting = this.#start(options).finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** Put the engine to sleep; resolves once `/sleep` answered. The call timings go to the `sleep` event and `lastSleep`. */
  async sleep(level: SleepLevel, options: EngineSleepOptions = {}): Promise<void> {
    const run = this.#requireRunning("sleep");
    const pauseFirst = options.pauseFirst ?? false;
    const report = await this.#guard(run, options.signal, (signal) =>
      runSleepSequence(run.control, level, { pauseFirst, timeouts: this.options, signal, idleWaitMs: this.options.idleWaitMs }),
    );
    if (pauseFirst) this.#paused = true;
    this.#lastSleep = report;
    this.#emit("sleep", report);
  }

  /**
   * Wake from `level` with the contract's sequence, confirm `/is_sleeping` is
   * false, `/resume` if paused. The call timings go to the `wake` event and `lastWake`.
   */
  async wakeUp(level: SleepLevel, options: EngineCallOptions = {}): Promise<void> {
    const run = this.#requireRunning("wake");
    const report = await this.#guard(run, options.signal, (signal) =>
      runWakeSequence(run.control, level, { resume: this.#paused, timeouts: this.options, signal }),
    );
    this.#paused = false;
    this.#lastWake = report;
    this.#emit("wake", report);
  }

  /** A 1-token completion, so the next request does not pay for the engine's lazy initialisation. */
  async warmUp(options: EngineCallOptions = {}): Promise<void> {
    const run = this.#requireRunning("warm up");
    await this.#guard(run, options.signal, (signal) => run.control.warmUp(this.options.name, { timeoutMs: this.options.callTimeoutMs, signal }));
  }

  /** `/pause?wait_for_inflight_requests=true`, for callers that cannot guarantee a drain before `sleep()`. */
  async pause(options: EngineCallOptions = {}): Promise<void> {
    const run = this.#requireRunning("pause");
    await this.#guard(run, options.signal, (signal) => run.control.pause({ timeoutMs: this.options.sleepTimeoutMs, signal }));
  }

  /** `/resume`. */
  async resume(options: EngineCallOptions = {}): Promise<void> {
    const run = this.#requireRunning("resume");
    await this.#guard(run, options.signal, (signal) => run.control.resume({ timeoutMs: this.options.callTimeoutMs, signal }));
    this.#paused = false;
  }

  /** The control client of the running process (for routes this class does not wrap). */
  get control(): VllmControlClient {
    return this.#requireRunning("control").control;
  }

  /**
   * SIGTERM the group, SIGKILL after `stopGraceMs`; resolves once every process
   * of the group is gone. Idempotent. During `start()`, makes it reject with
   * `LLMUX_ERR_ENGINE_STOPPED` (also before the process was spawned).
   */
  stop(): Promise<void> {
    return this.#stop("SIGTERM");
  }

  /** Graceful: same as `stop()`. */
  close(): Promise<void> {
    return this.stop();
  }

  /** Forced: SIGKILL the group now; resolves once it is gone. Idempotent. */
  destroy(_error?: Error): Promise<void> {
    return this.#stop("SIGKILL");
  }

  async #stop(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const run = this.#run;
    if (run === undefined) {
      if (this.#state === "starting") {
        // Not spawned yet: #start checks this flag right before spawning.
        this.#stopBeforeSpawn = true;
        await this.#starting?.catch(() => undefined);
        return this.#stop(signal);
      }
      if (this.#state === "idle") this.#state = "stopped";
      return;
    }
    if (run.process.exit === undefined) this.#state = "stopping";
    try {
      await run.process.stop(this.options.stopGraceMs, signal);
    } finally {
      await run.control.destroy();
    }
  }

  /** Called once per process exit, expected or not. Returns an unsubscribe function. */
  onExit(listener: (exit: EngineExit) => void): () => void {
    this.on("exit", listener);
    return () => this.off("exit", listener);
  }

  async #start(options: EngineCallOptions): Promise<void> {
    const startedAt = performance.now();
    const { host, port } = this.options;
    this.#run = undefined;
    this.#stopBeforeSpawn = false;
    try {
      options.signal?.throwIfAborted();
      if (port !== undefined) await assertPortFree(host, port);
    } catch (error) {
      this.#state = "idle";
      throw LlmuxError.isInstance(error) ? error : new AbortedError("start was aborted", { cause: error });
    }
    if (this.#stopBeforeSpawn) {
      this.#state = "stopped";
      throw new EngineStoppedError("engine was stopped before it was spawned");
    }
    this.#lines = new LineBuffer(this.options.keepLines);
    this.#version = undefined;
    this.#paused = false;
    const run = await this.#spawn();
    // stop() may have come in while the spawn settled.
    if (this.#stopBeforeSpawn) void this.stop();
    try {
      await this.#guard(run, options.signal, (signal) => this.#waitHealthy(run, signal));
      this.#version = await this.#readVersion(run, options.signal);
    } catch (error) {
      // Not ready: no process of the group may survive a failed start (an exit, a timeout, an abort).
      await this.stop();
      throw this.#startError(run, error);
    }
    this.#state = "running";
    this.#emit("ready", { version: this.#version, durationMs: performance.now() - startedAt });
  }

  async #spawn(): Promise<Run> {
    let engineProcess: EngineProcess;
    let socket: Run["socket"];
    try {
      // A fresh directory per process: nothing a previous one (or anyone else) left can be in it.
      socket = this.options.port === undefined ? createSocketDir() : undefined;
      this.#args = buildVllmArgs(this.options, socket?.socketPath);
      engineProcess = await EngineProcess.spawn(this.options.command, this.#args, buildVllmEnv(this.options), this.#lines, {
        onLog: (line, stream) => this.#emit("log", line, stream),
        onExit: (exit) => {
          if (socket !== undefined) removeSocketDir(socket.dir);
          this.#onExit(engineProcess, exit);
        },
      });
    } catch (error) {
      if (socket !== undefined) removeSocketDir(socket.dir);
      this.#state = "idle";
      throw error;
    }
    const control = new VllmControlClient(this.url, {
      timeoutMs: this.options.callTimeoutMs,
      keepAliveMs: this.options.keepAliveMs,
      socketPath: socket?.socketPath,
    });
    const run: Run = { process: engineProcess, control, socket };
    this.#run = run;
    this.#emit("spawn", { pid: engineProcess.pid, argv: [...engineProcess.argv] });
    return run;
  }

  #onExit(engineProcess: EngineProcess, exit: EngineExit): void {
    const run = this.#run;
    if (run?.process === engineProcess) {
      void run.control.destroy();
      this.#state = exit.expected ? "stopped" : "exited";
    }
    this.#emit("exit", exit);
  }

  async #waitHealthy(run: Run, signal: AbortSignal): Promise<void> {
    const { startupTimeoutMs, healthIntervalMs, callTimeoutMs } = this.options;
    const deadline = performance.now() + startupTimeoutMs;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new StartTimeoutError(startupTimeoutMs, { lastLines: this.lastLines() });
      }
      // Connection refused is normal while vLLM loads: nothing listens until it is ready.
      if (await run.control.health({ timeoutMs: Math.min(callTimeoutMs, remaining), signal })) {
        if (run.socket !== undefined) {
          const problem = socketProblem(run.socket.dir, run.socket.socketPath, run.process.pid);
          if (problem !== undefined) throw new UnsafeSocketError(run.socket.socketPath, problem);
          return;
        }
        // A 200 proves only that someone answers on the port: vLLM binds with SO_REUSEPORT, so another server
        // can share it. Only a port whose every listener is in our process group is our engine.
        const port = this.options.port as number;
        const owner = listenerOwnership(run.process.pid, port);
        if (owner === "foreign") throw new ForeignListenerError(this.options.host, port);
        if (owner !== "none") return;
      }
      await delay(Math.min(healthIntervalMs, Math.max(0, deadline - performance.now())), undefined, { signal });
    }
  }

  async #readVersion(run: Run, signal: AbortSignal | undefined): Promise<string | undefined> {
    let version: string | undefined;
    try {
      version = await this.#guard(run, signal, (combined) => run.control.version({ signal: combined }));
    } catch (error) {
      if (error instanceof EngineExitedError || error instanceof EngineStoppedError || LlmuxError.isInstance(error, "LLMUX_ERR_ABORTED")) throw error;
      this.#emit("warning", {
        code: "LLMUX_WARN_VERSION_UNKNOWN",
        message: `could not read /version: ${error instanceof Error ? error.message : String(error)}`,
      });
      return undefined;
    }
    if (isBrokenSleepVersion(version)) {
      this.#emit("warning", {
        code: "LLMUX_WARN_BROKEN_SLEEP_VERSION",
        message: `vLLM ${version} is in the range where sleep frees almost no GPU memory (vLLM #32714, fixed by PR #32947); use v0.13.x or v0.17+`,
      });
    }
    return version;
  }

  /** Runs `call` with a signal that aborts on the caller's abort or the end of the run, and maps the error to the cause that won. */
  async #guard<T>(run: Run, callerSignal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = callerSignal ? AbortSignal.any([callerSignal, run.process.ended.signal]) : run.process.ended.signal;
    try {
      signal.throwIfAborted();
      return await call(signal);
    } catch (error) {
      if (!run.process.ended.signal.aborted && isConnectionLoss(error)) {
        // A dying engine closes its sockets a moment before Node reports the exit; wait for it briefly so the
        // caller learns that the engine died rather than that one call failed.
        await Promise.race([run.process.exited, delay(CONNECTION_LOSS_WAIT_MS)]);
      }
      if (run.process.ended.signal.aborted) {
        const reason: unknown = run.process.ended.signal.reason;
        if (LlmuxError.isInstance(reason)) {
          throw reason instanceof EngineExitedError
            ? new EngineExitedError(`engine exited (${describeExit(reason.exitCode, reason.signal)})`, { ...exitDetails(reason), cause: error })
            : new EngineStoppedError(reason.message, { cause: error });
        }
      }
      if (callerSignal?.aborted) {
        throw LlmuxError.isInstance(error, "LLMUX_ERR_ABORTED") ? error : new AbortedError("the call was aborted", { cause: callerSignal.reason });
      }
      throw error;
    }
  }

  #startError(run: Run, error: unknown): unknown {
    if (error instanceof EngineExitedError) {
      return new StartFailedError(`engine exited before it was ready (${describeExit(error.exitCode, error.signal)})`, {
        exitCode: error.exitCode,
        signal: error.signal,
        lastLines: run.process.exit?.lastLines ?? this.lastLines(),
        cause: error,
      });
    }
    return error;
  }

  #requireRunning(what: string): Run {
    const run = this.#run;
    if (this.#state === "running" && run !== undefined) return run;
    if (this.#state === "stopping" || this.#state === "stopped") throw new EngineStoppedError(`cannot ${what}: engine was stopped`);
    const exit = run?.process.exit;
    if (this.#state === "exited" && exit !== undefined) {
      throw new EngineExitedError(`cannot ${what}: engine exited (${describeExit(exit.code, exit.signal)})`, {
        exitCode: exit.code,
        signal: exit.signal,
        lastLines: exit.lastLines,
      });
    }
    throw new EngineStateError(`cannot ${what}: engine is ${this.#state}`);
  }

  #emit<K extends keyof VllmServerEvents>(event: K, ...args: VllmServerEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: VllmServerEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      // A listener's bug must not leave the process bookkeeping half done; surface it after.
      process.nextTick(() => {
        throw error;
      });
    }
  }
}

function isConnectionLoss(error: unknown): boolean {
  return error instanceof ControlUnreachableError || (error instanceof Error && error.cause instanceof ControlUnreachableError);
}

function exitDetails(error: EngineExitedError): { exitCode: number | null; signal: NodeJS.Signals | null; lastLines: string[] } {
  return { exitCode: error.exitCode, signal: error.signal, lastLines: error.lastLines };
}
