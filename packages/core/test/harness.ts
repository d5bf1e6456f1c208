import { expect } from "vitest";
import { VirtualClock } from "../src/clock.js";
import { parseConfig } from "../src/config/parse-config.js";
import type { LlmuxConfig } from "../src/config/types.js";
import type { MuxEvent } from "../src/events.js";
import { Multiplexer } from "../src/multiplexer.js";
import type { Policy } from "../src/policy.js";
import { SimEngine, type SimEngineCosts, type SimFault } from "../src/sim/sim-engine.js";

export const FAST_COSTS: SimEngineCosts = { startMs: 5_000, sleepMs: { 1: 1_000, 2: 200 }, wakeMs: { 1: 500, 2: 2_000 }, stopMs: 300 };

export interface Harness {
  clock: VirtualClock;
  mux: Multiplexer;
  config: LlmuxConfig;
  events: MuxEvent[];
  /** Every engine created per model, oldest first. */
  engines: Map<string, SimEngine[]>;
  engine(model: string): SimEngine;
  /** Faults armed on the next engine created for a model. */
  nextFaults: Map<string, SimFault[]>;
  violations: string[];
}

export function makeConfig(overrides: Record<string, unknown> = {}, models = ["a", "b", "c"], modelExtra: Record<string, unknown> = {}): LlmuxConfig {
  const modelEntries = Object.fromEntries(models.map((name, index) => [name, { model_path: `org/${name}`, port: 8001 + index, ...modelExtra }]));
  const { policy, ...rest } = overrides as { policy?: Record<string, unknown> };
  return parseConfig({ models: modelEntries, policy: { sleep_level: 1, min_active_secs: 0, ...policy }, ...rest });
}

export function harness(options: { config?: LlmuxConfig; policy?: Policy; costs?: Partial<SimEngineCosts> } = {}): Harness {
  const clock = new VirtualClock(1_000_000);
  const config = options.config ?? makeConfig();
  const engines = new Map<string, SimEngine[]>();
  const nextFaults = new Map<string, SimFault[]>();
  const violations: string[] = [];
  let mux: Multiplexer | undefined;
  const factoryOptions = {
    config,
    clock,
    engineFactory: (name: string) => {
      const engine = new SimEngine({
        name,
        url: `http://127.0.0.1:${config.models[name]?.port}`,
        clock,
        costs: { ...FAST_COSTS, ...options.costs },
        faults: nextFaults.get(name) ?? [],
      });
      nextFaults.delete(name);
      // vLLM #28714: a sleep with requests in flight crashes; only allowed after pausing.
      const sleep = engine.sleep.bind(engine);
      engine.sleep = (level, sleepOptions) => {
        const inFlight = mux?.snapshot().models.find((m) => m.name === name)?.inFlight ?? 0;
        if (inFlight > 0 && !sleepOptions?.pauseFirst) violations.push(`${name}: sleep with ${inFlight} leases`);
        return sleep(level, sleepOptions);
      };
      const list = engines.get(name) ?? [];
      list.push(engine);
      engines.set(name, list);
      return engine;
    },
  };
  mux = new Multiplexer(options.policy ? { ...factoryOptions, policy: options.policy } : factoryOptions);
  const events: MuxEvent[] = [];
  mux.on((event) => {
    events.push(event);
    // vLLM #15483: a request reaching a sleeping server crashes it.
    if (event.type === "admitted") {
      const engine = engines.get(event.model)?.at(-1);
      if (engine?.state !== "awake") violations.push(`${event.model}: admitted while engine ${engine?.state}`);
    }
  });
  return {
    clock,
    mux,
    config,
    events,
    engines,
    nextFaults,
    violations,
    engine(model) {
      const engine = engines.get(model)?.at(-1);
      if (!engine) throw new Error(`no engine for ${model}`);
      return engine;
    },
  };
}

/** A promise's outcome, observable without awaiting it. */
export function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown; promise: Promise<T> } {
  const state: { settled: boolean; value?: T; error?: unknown; promise: Promise<T> } = { settled: false, promise };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<Error & { code: string; status?: number; retryAfterSecs?: number }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toMatchObject({ code });
  return error as Error & { code: string };
}

export async function finish(h: Harness): Promise<void> {
  const closing = h.mux.destroy();
  await h.clock.advance(60_000);
  await closing;
  expect(h.violations).toEqual([]);
}
