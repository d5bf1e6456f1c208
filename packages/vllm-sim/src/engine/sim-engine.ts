import type { SimKnobs } from "../serve/knobs.js";
import type { SimLogger } from "../serve/logger.js";
import type { EventLog } from "../serve/event-log.js";
import { FaultBox } from "./faults.js";
import { type MemoryModel, usedMib } from "./memory.js";
import { RequestGate } from "./request-gate.js";
import { engineStats } from "./engine-stats.js";

/** How an engine call ends, for the HTTP layer to translate. */
export type EngineReply = { kind: "ok" } | { kind: "error"; status: number; message: string; type?: string } | { kind: "crashed" };

export type RequestOutcome = "completed" | "cancelled" | "failed";

/** A generation request admitted into the engine. */
export interface RunningRequest {
  id: string;
  /** The client's `x-request-id`, when it sent one. */
  requestId?: string | undefined;
  /** Set by `admit`: the first request after a wake is slower (contract: 4–7×). */
  cold?: boolean;
  /** Ends the request early: `/pause` without waiting, or the engine died. */
  abort: (why: "paused" | "engine_dead") => void;
}

export interface EngineDeps {
  knobs: SimKnobs;
  model: string;
  tensorParallelSize: number;
  memory: MemoryModel;
  logger: SimLogger;
  events: EventLog;
  /** Record the MiB this process now holds per GPU; returns false when it does not fit (CUDA OOM). */
  setMemory: (mibPerGpu: number) => boolean;
  /** Kill the server the way vLLM dies: error lines, `/health` 503, exit 1. */
  crash: (reason: string, lines: string[]) => void;
  delay?: (ms: number) => Promise<void>;
}

const never = new Promise<never>(() => {});
const defaultDelay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The simulated engine: sleep state per tag, weights validity, pause, the
 * running requests, faults and counters. Follows vLLM v0.13's executor: a
 * second sleep is a no-op, `wake_up` with an unknown or awake tag is a no-op,
 * and `is_sleeping` stays true until every tag is awake.
 */
export class SimEngine {
  readonly faults = new FaultBox();
  readonly gate = new RequestGate();
  readonly running = new Map<string, RunningRequest>();
  readonly sleepingTags = new Set<string>();
  /** The level of the current sleep; 0 when awake. */
  sleepLevel: 0 | 1 | 2 = 0;
  garbageWeights = false;
  dead = false;
  /** The first request after a wake runs this many times slower (cold caches); a 1-token warm-up absorbs it. */
  static readonly coldFactor = 5;
  #cold = false;
  readonly counts = { total: 0, completed: 0, cancelled: 0, failed: 0, sleeps: 0, wakes: 0, reloads: 0 };
  promptTokens = 0;
  generationTokens = 0;
  readonly #deps: EngineDeps;
  readonly #delay: (ms: number) => Promise<void>;
  /** Engine calls run one at a time, as vLLM's engine core handles utility calls in order. */
  #serial: Promise<unknown> = Promise.resolve();

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.#delay = deps.delay ?? defaultDelay;
  }

  get isSleeping(): boolean {
    return this.sleepingTags.size > 0;
  }

  get isPaused(): boolean {
    return this.gate.isClosed("pause");
  }

  /** `vllm:engine_sleep_state` label value. */
  get sleepState(): "awake" | "weights_offloaded" | "discard_all" {
    if (!this.isSleeping) return "awake";
    return this.sleepLevel === 1 ? "weights_offloaded" : "discard_all";
  }

  sleep(level: number): Promise<EngineReply> {
    return this.#inOrder(() => this.#sleep(level));
  }

  wakeUp(tags: string[]): Promise<EngineReply> {
    return this.#inOrder(() => this.#wakeUp(tags));
  }

  reloadWeights(): Promise<EngineReply> {
    return this.#inOrder(() => this.#reloadWeights());
  }

  #inOrder(call: () => Promise<EngineReply>): Promise<EngineReply> {
    const result = this.#serial.then(call);
    this.#serial = result.catch(() => undefined);
    return result;
  }

  async #sleep(level: number): Promise<EngineReply> {
    if (this.dead) return { kind: "crashed" };
    if (this.running.size > 0) {
      // vLLM #28714: /sleep with running requests crashes the engine core.
      this.#deps.crash("sleep_with_running_requests", [
        "EngineCore encountered a fatal error.",
        "RuntimeError: CUDA error: an illegal memory access was encountered",
        `(sleep called with ${this.running.size} running request(s))`,
      ]);
      return { kind: "crashed" };
    }
    if (this.faults.take("hang_sleep")) {
      this.gate.close("engine-call");
      return never;
    }
    if (this.faults.take("fail_sleep")) {
      return { kind: "error", status: 500, message: "simulated failure of sleep (fault fail_sleep)" };
    }
    if (this.isSleeping) {
      this.#deps.logger.warn("abstract.py:240", "Executor is already sleeping.", "EngineCore_DP0");
      return { kind: "ok" };
    }
    // vLLM offloads weights only at level 1; any other level discards everything.
    const effective: 1 | 2 = level === 1 ? 1 : 2;
    const started = Date.now();
    this.gate.close("engine-call");
    for (const tag of ["weights", "kv_cache"]) this.sleepingTags.add(tag);
    this.sleepLevel = effective;
    try {
      await this.#delay(effective === 1 ? this.#deps.knobs.sleep1Ms : this.#deps.knobs.sleep2Ms);
    } finally {
      this.gate.open("engine-call");
    }
    if (this.dead) return { kind: "crashed" };
    if (effective === 2 && !this.#deps.memory.sleepFreesNothing) this.garbageWeights = true;
    this.#deps.setMemory(usedMib(this.#deps.memory, this.sleepingTags));
    this.counts.sleeps++;
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    const freed = this.#deps.memory.awakeMib - usedMib(this.#deps.memory, this.sleepingTags);
    this.#deps.logger.info(
      "gpu_worker.py:120",
      `Sleep mode freed ${(freed / 1024).toFixed(2)} GiB memory, ${(usedMib(this.#deps.memory, this.sleepingTags) / 1024).toFixed(2)} GiB memory is still in use.`,
      "EngineCore_DP0",
    );
    this.#deps.logger.info("abstract.py:250", `It took ${seconds} seconds to fall asleep.`, "EngineCore_DP0");
    this.#deps.events.emit("sleep", { level: effective, requested_level: level });
    return { kind: "ok" };
  }

  async #wakeUp(tags: string[]): Promise<EngineReply> {
    if (this.dead) return { kind: "crashed" };
    if (this.faults.take("hang_wake")) {
      this.gate.close("engine-call");
      return never;
    }
    if (this.faults.take("fail_wake")) {
      return { kind: "error", status: 500, message: "simulated failure of wake_up (fault fail_wake)" };
    }
    if (!this.isSleeping) {
      this.#deps.logger.warn("abstract.py:260", "Executor is not sleeping.", "EngineCore_DP0");
      return { kind: "ok" };
    }
    for (const tag of tags) {
      if (!this.sleepingTags.has(tag)) {
        this.#deps.logger.warn("abstract.py:265", `Tag ${tag} is not in sleeping tags ${JSON.stringify([...this.sleepingTags])}`, "EngineCore_DP0");
        return { kind: "ok" };
      }
    }
    const started = Date.now();
    const waking = tags.length === 0 ? [...this.sleepingTags] : tags;
    const after = new Set([...this.sleepingTags].filter((tag) => !waking.includes(tag)));
    if (!this.#deps.setMemory(usedMib(this.#deps.memory, after))) {
      this.#deps.crash("oom_on_wake", [
        `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ${(this.#deps.memory.awakeMib / 1024).toFixed(2)} GiB. ` +
          "Other processes hold the memory this server needs to wake up.",
      ]);
      return { kind: "crashed" };
    }
    this.gate.close("engine-call");
    try {
      await this.#delay(this.sleepLevel === 1 ? this.#deps.knobs.wake1Ms : this.#deps.knobs.wake2Ms);
    } finally {
      this.gate.open("engine-call");
    }
    if (this.dead) return { kind: "crashed" };
    const level = this.sleepLevel;
    let duplicate = false;
    for (const tag of waking) {
      // Python's set.remove raises KeyError on a repeated tag, after the wake happened.
      if (!this.sleepingTags.delete(tag)) duplicate = true;
    }
    if (!this.isSleeping) {
      this.sleepLevel = 0;
      this.counts.wakes++;
      this.#cold = true;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    this.#deps.logger.info("abstract.py:280", `It took ${seconds} seconds to wake up tags ${JSON.stringify(waking)}.`, "EngineCore_DP0");
    this.#deps.events.emit("wake", { tags: waking, level, is_sleeping: this.isSleeping });
    if (duplicate) return { kind: "error", status: 500, message: "Internal Server Error", type: "plain" };
    return { kind: "ok" };
  }

  async #reloadWeights(): Promise<EngineReply> {
    if (this.dead) return { kind: "crashed" };
    if (this.faults.take("hang_reload")) {
      this.gate.close("engine-call");
      return never;
    }
    if (this.faults.take("fail_reload")) {
      return { kind: "error", status: 500, message: "simulated failure of reload_weights (fault fail_reload)", type: "InternalServerError" };
    }
    if (this.sleepingTags.has("weights")) {
      // Loading into unmapped weight memory: the engine dies like on any illegal access.
      this.#deps.crash("reload_while_asleep", ["RuntimeError: CUDA error: an illegal memory access was encountered"]);
      return { kind: "crashed" };
    }
    const noop = this.faults.take("noop_reload");
    this.gate.close("engine-call");
    try {
      await this.#delay(this.#deps.knobs.reloadMs);
    } finally {
      this.gate.open("engine-call");
    }
    if (this.dead) return { kind: "crashed" };
    if (!noop) this.garbageWeights = false;
    this.counts.reloads++;
    this.#deps.logger.info("gpu_model_runner.py:3000", "Reloading weights inplace...", "EngineCore_DP0");
    this.#deps.events.emit("reload", { restored: !noop });
    return { kind: "ok" };
  }

  /** `/pause`: stop admitting; without waiting, running requests are aborted. */
  async pause(waitForInflight: boolean): Promise<void> {
    this.gate.close("pause");
    if (!waitForInflight) {
      for (const request of [...this.running.values()]) request.abort("paused");
      return;
    }
    while (this.running.size > 0 && !this.dead) await this.#delay(5);
  }

  resume(): void {
    this.gate.open("pause");
  }

  /**
   * Admit a generation request: wait while paused or while an engine call
   * runs, then crash if the engine is asleep (vLLM #15483, #28714).
   * Returns false when the client left while waiting (or the engine died).
   */
  async admit(request: RunningRequest, signal: AbortSignal): Promise<boolean> {
    this.counts.total++;
    const passed = await this.gate.pass(signal);
    if (!passed || this.dead) {
      this.counts.cancelled++;
      return false;
    }
    const cold = this.#cold && !this.isSleeping;
    if (cold) this.#cold = false;
    request.cold = cold;
    this.#deps.events.emit("request_start", { ...requestFields(request), ...(cold ? { cold: true } : {}) });
    if (this.isSleeping) {
      this.counts.failed++;
      this.#deps.events.emit("request_end", { ...requestFields(request), outcome: "failed" });
      this.#deps.crash("request_while_asleep", [
        "RuntimeError: CUDA error: an illegal memory access was encountered",
        "CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.",
        "EngineCore encountered a fatal error.",
      ]);
      return false;
    }
    this.running.set(request.id, request);
    return true;
  }

  /** Die now (fault `crash`, a stream told to crash): same path as the real crashes. */
  die(reason: string, lines: string[]): void {
    if (!this.dead) this.#deps.crash(reason, lines);
  }

  finish(id: string, outcome: RequestOutcome): void {
    const request = this.running.get(id);
    if (request === undefined) return;
    this.running.delete(id);
    this.counts[outcome]++;
    this.#deps.events.emit("request_end", { ...requestFields(request), outcome });
  }

  stats(): Record<string, unknown> {
    return engineStats(this, this.#deps.model);
  }
}

/** How an event names its request: the engine's id, and the client's `x-request-id` when there was one. */
function requestFields(request: RunningRequest): Record<string, string> {
  return request.requestId === undefined ? { id: request.id } : { id: request.id, request_id: request.requestId };
}
