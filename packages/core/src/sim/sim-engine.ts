import type { Engine, EngineCallOptions, EngineExit, EngineSleepOptions, SleepLevel } from "@llmux/types";
import type { Clock } from "../clock.js";
import type { ExpectedCostsConfig } from "../config/types.js";

/** Durations (ms) of a simulated engine's transitions. */
export interface SimEngineCosts {
  startMs: number;
  sleepMs: { 1: number; 2: number };
  wakeMs: { 1: number; 2: number };
  stopMs: number;
  /** A 1-token warm-up request. */
  warmupMs?: number;
}

/**
 * A 7–14B model on one GPU, from published vLLM sleep-mode figures (see the
 * README): level-1 sleep 3–36 s (10 s here), wake 0.3–1.2 s (1 s); level-2
 * sleep 0.3 s, wake about 8 s; a cold start 40–130 s (60 s).
 */
export const DEFAULT_SIM_COSTS: SimEngineCosts = {
  startMs: 60_000,
  sleepMs: { 1: 10_000, 2: 300 },
  wakeMs: { 1: 1_000, 2: 8_000 },
  stopMs: 2_000,
};

/** Costs over the defaults: any field, and any level of the sleep and wake costs (an undefined level keeps the one below). */
export type SimEngineCostsInput = Partial<Pick<SimEngineCosts, "startMs" | "stopMs" | "warmupMs">> & {
  sleepMs?: { 1?: number | undefined; 2?: number | undefined };
  wakeMs?: { 1?: number | undefined; 2?: number | undefined };
};

/** `base` with each override applied in turn, level by level (a partial `base` gives partial costs). */
export function mergeCosts(base: SimEngineCosts, ...overrides: (SimEngineCostsInput | undefined)[]): SimEngineCosts;
export function mergeCosts(base: SimEngineCostsInput, ...overrides: (SimEngineCostsInput | undefined)[]): SimEngineCostsInput;
export function mergeCosts(base: SimEngineCostsInput, ...overrides: (SimEngineCostsInput | undefined)[]): SimEngineCostsInput {
  const merged = { ...base, sleepMs: { ...base.sleepMs }, wakeMs: { ...base.wakeMs } };
  for (const override of overrides) {
    if (!override) continue;
    if (override.startMs !== undefined) merged.startMs = override.startMs;
    if (override.stopMs !== undefined) merged.stopMs = override.stopMs;
    if (override.warmupMs !== undefined) merged.warmupMs = override.warmupMs;
    for (const level of [1, 2] as const) {
      merged.sleepMs[level] = override.sleepMs?.[level] ?? merged.sleepMs[level];
      merged.wakeMs[level] = override.wakeMs?.[level] ?? merged.wakeMs[level];
    }
  }
  return merged;
}

/** A model's `expected_costs` (seconds) as its simulated engine's costs, so the simulation runs at what the config says the model takes. */
export function costsFromExpected(expected: ExpectedCostsConfig): SimEngineCostsInput {
  const ms = (secs: number | undefined) => (secs === undefined ? undefined : secs * 1000);
  const costs: SimEngineCostsInput = {
    sleepMs: { 1: ms(expected.sleep_secs?.["1"]), 2: ms(expected.sleep_secs?.["2"]) },
    wakeMs: { 1: ms(expected.wake_secs?.["1"]), 2: ms(expected.wake_secs?.["2"]) },
  };
  if (expected.cold_start_secs !== undefined) costs.startMs = expected.cold_start_secs * 1000;
  if (expected.stop_secs !== undefined) costs.stopMs = expected.stop_secs * 1000;
  return costs;
}

export type SimFault = "fail_start" | "fail_sleep" | "hang_sleep" | "fail_wake" | "hang_wake";

export type SimEngineState = "stopped" | "starting" | "awake" | "sleeping" | "asleep" | "waking";

export interface SimEngineCall {
  op: "start" | "sleep" | "wake" | "stop" | "warmup";
  at: number;
  level?: SleepLevel;
  pauseFirst?: boolean;
}

/**
 * An `Engine` that lives in (virtual or real) clock time: each call takes its
 * configured duration, faults can be armed, and `crash()` ends it. Used by the
 * trace simulator and the pure tests.
 */
export class SimEngine implements Engine {
  readonly url: string;
  readonly name: string;
  readonly calls: SimEngineCall[] = [];
  state: SimEngineState = "stopped";
  sleepLevel: SleepLevel | null = null;
  #running = false;
  readonly #clock: Clock;
  readonly #costs: SimEngineCosts;
  readonly #faults: SimFault[] = [];
  readonly #exitListeners = new Set<(exit: EngineExit) => void>();
  #exited = false;
  #stopping: Promise<void> | undefined;
  #pending: { reject: (error: Error) => void; timer: ReturnType<Clock["setTimeout"]> | undefined } | undefined;

  constructor(options: { name: string; url: string; clock: Clock; costs?: SimEngineCostsInput; faults?: SimFault[] }) {
    this.name = options.name;
    this.url = options.url;
    this.#clock = options.clock;
    this.#costs = mergeCosts(DEFAULT_SIM_COSTS, options.costs);
    this.#faults.push(...(options.faults ?? []));
  }

  get running(): boolean {
    return this.#running;
  }

  /** Arm a fault for the next matching call. */
  arm(fault: SimFault): void {
    this.#faults.push(fault);
  }

  async start(options: EngineCallOptions = {}): Promise<void> {
    this.calls.push({ op: "start", at: this.#clock.now() });
    if (this.#exited) throw new Error("engine already exited");
    this.state = "starting";
    const fail = this.#take("fail_start");
    await this.#wait(this.#costs.startMs, options.signal, false);
    if (fail) {
      this.#exit({ code: 1, signal: null, expected: false, lastLines: ["ValueError: simulated start-up failure"] });
      throw Object.assign(new Error("process exited with code 1 before it was ready"), { lastLines: ["ValueError: simulated start-up failure"] });
    }
    this.#running = true;
    this.state = "awake";
  }

  async sleep(level: SleepLevel, options: EngineSleepOptions = {}): Promise<void> {
    const call: SimEngineCall = { op: "sleep", at: this.#clock.now(), level };
    if (options.pauseFirst !== undefined) call.pauseFirst = options.pauseFirst;
    this.calls.push(call);
    this.#assertRunning();
    this.state = "sleeping";
    const hang = this.#take("hang_sleep");
    const fail = this.#take("fail_sleep");
    await this.#wait(hang ? Infinity : this.#costs.sleepMs[level], options.signal, false);
    if (fail) throw new Error("simulated sleep failure (HTTP 500)");
    this.state = "asleep";
    this.sleepLevel = level;
  }

  async wakeUp(level: SleepLevel, options: EngineCallOptions = {}): Promise<void> {
    this.calls.push({ op: "wake", at: this.#clock.now(), level });
    this.#assertRunning();
    this.state = "waking";
    const hang = this.#take("hang_wake");
    const fail = this.#take("fail_wake");
    await this.#wait(hang ? Infinity : this.#costs.wakeMs[level], options.signal, false);
    if (fail) throw new Error("simulated wake failure (HTTP 500)");
    this.state = "awake";
    this.sleepLevel = null;
  }

  async warmUp(options: EngineCallOptions = {}): Promise<void> {
    this.calls.push({ op: "warmup", at: this.#clock.now() });
    this.#assertRunning();
    if (this.state !== "awake") throw new Error(`warm-up reached a ${this.state} engine`);
    await this.#wait(this.#costs.warmupMs ?? 200, options.signal, false);
  }

  stop(): Promise<void> {
    if (this.#exited) return Promise.resolve();
    this.#stopping ??= (async () => {
      this.calls.push({ op: "stop", at: this.#clock.now() });
      this.#pending?.reject(new Error("engine stopped"));
      await this.#wait(this.#costs.stopMs, undefined, true);
      this.#exit({ code: null, signal: "SIGTERM", expected: true, lastLines: [] });
    })();
    return this.#stopping;
  }

  /** The process dies on its own now. */
  crash(lastLines: string[] = ["RuntimeError: CUDA error: an illegal memory access was encountered"]): void {
    if (this.#exited) return;
    this.#pending?.reject(new Error("engine crashed"));
    this.#exit({ code: 1, signal: null, expected: false, lastLines });
  }

  onExit(listener: (exit: EngineExit) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  #exit(exit: EngineExit): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#running = false;
    this.state = "stopped";
    for (const listener of [...this.#exitListeners]) listener(exit);
  }

  #assertRunning(): void {
    if (!this.#running) throw new Error("engine is not running");
  }

  #take(fault: SimFault): boolean {
    const index = this.#faults.indexOf(fault);
    if (index === -1) return false;
    this.#faults.splice(index, 1);
    return true;
  }

  #wait(ms: number, signal: AbortSignal | undefined, uninterruptible: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
        return;
      }
      const done = () => {
        signal?.removeEventListener("abort", onAbort);
        if (!uninterruptible) this.#pending = undefined;
      };
      const timer = Number.isFinite(ms)
        ? this.#clock.setTimeout(() => {
            done();
            resolve();
          }, ms)
        : undefined;
      const fail = (error: Error) => {
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        done();
        reject(error);
      };
      const onAbort = () => fail(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      if (!uninterruptible) this.#pending = { reject: fail, timer };
    });
  }
}
