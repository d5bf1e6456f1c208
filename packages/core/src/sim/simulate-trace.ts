import { VirtualClock } from "../clock.js";
import { parseConfig } from "../config/parse-config.js";
import type { LlmuxConfig } from "../config/types.js";
import { Multiplexer } from "../multiplexer.js";
import type { Policy } from "../policy.js";
import { POLICIES } from "../policies/index.js";
import { SimEngine, type SimEngineCosts, DEFAULT_SIM_COSTS } from "./sim-engine.js";
import type { TraceRequest } from "./trace.js";

/** How simulated engines serve requests. */
export interface SimServiceOptions {
  /** Time to first token, ms. */
  ttftMs: number;
  /** Generation rate per request, tokens/s. */
  tokensPerSec: number;
  /** Requests an engine runs at once (vLLM's batch); more wait inside the engine. */
  maxConcurrency: number;
}

export const DEFAULT_SIM_SERVICE: SimServiceOptions = { ttftMs: 200, tokensPerSec: 40, maxConcurrency: 32 };

export interface SimulateTraceOptions {
  trace: readonly TraceRequest[];
  /** Config to run; default: one model per trace model on one GPU, 0.9 each, sleep level 1, no request timeout in practice. */
  config?: LlmuxConfig;
  /** Policies to compare; default: every built-in policy. */
  policies?: readonly Policy[];
  costs?: Partial<SimEngineCosts>;
  service?: Partial<SimServiceOptions>;
  /**
   * Start every model once and put it to sleep before the trace begins (the
   * steady state of a running llmux), so first-use cold starts do not dominate
   * the comparison. Default true.
   */
  prewarm?: boolean;
}

export interface PolicyResult {
  policy: string;
  requests: number;
  served: number;
  failed: number;
  /** Seconds from arrival to lease. */
  waitP50: number;
  waitP99: number;
  waitMax: number;
  /** Seconds from arrival to the last token. */
  latencyP50: number;
  latencyP99: number;
  switches: number;
  /** Share of the simulated time during which a switch was in progress, 0..1. */
  switchingShare: number;
  /** The longest switch (drain + sleep + wake), seconds: the "one switch" of the `max_wait_secs` bound. */
  longestSwitchSecs: number;
  /** Simulated seconds from the first arrival to the last completion. */
  makespanSecs: number;
}

/**
 * The default config for a trace: its models on one GPU, sleep level 1,
 * `max_wait_secs` 60 (the committed traces are busy; see the README).
 */
export function traceConfig(trace: readonly TraceRequest[], policy: Record<string, unknown> = {}): LlmuxConfig {
  const names = [...new Set(trace.map((r) => r.model))].sort();
  return parseConfig({
    models: Object.fromEntries(names.map((name, index) => [name, { model_path: `sim/${name}`, port: 8001 + index }])),
    policy: { sleep_level: 1, request_timeout_secs: 3600, drain_timeout_secs: 60, max_wait_secs: 60, ...policy },
  });
}

/** Run `trace` once per policy in virtual time against simulated engines. */
export async function simulateTrace(options: SimulateTraceOptions): Promise<PolicyResult[]> {
  const config = options.config ?? traceConfig(options.trace);
  const policies = options.policies ?? Object.values(POLICIES);
  const results: PolicyResult[] = [];
  for (const policy of policies) results.push(await simulateOne(options, config, policy));
  return results;
}

async function simulateOne(options: SimulateTraceOptions, config: LlmuxConfig, policy: Policy): Promise<PolicyResult> {
  const clock = new VirtualClock(0);
  const costs = { ...DEFAULT_SIM_COSTS, ...options.costs };
  const service = { ...DEFAULT_SIM_SERVICE, ...options.service };
  const mux = new Multiplexer({
    config,
    clock,
    policy,
    engineFactory: (name, model) => new SimEngine({ name, url: `http://127.0.0.1:${model.port}`, clock, costs }),
  });
  const switchSpans: [number, number][] = [];
  let offset = Infinity;
  let switches = 0;
  let longestSwitchMs = 0;
  mux.on((event) => {
    if (clock.now() < offset) return;
    if (event.type === "switch-end" && event.record.result !== "aborted" && event.record.from.length > 0) {
      switches++;
      longestSwitchMs = Math.max(longestSwitchMs, event.record.durationMs);
    }
    if (event.type === "switch-end") {
      // Draining still serves requests: only the sleep/stop/wake/start time is lost to switching.
      const drainMs = Math.max(0, ...event.record.phases.filter((p) => p.phase === "drain").map((p) => p.durationMs));
      switchSpans.push([event.record.startedAt + drainMs, event.record.startedAt + event.record.durationMs]);
    }
  });
  const running = new Map<string, number>();
  const backlog = new Map<string, (() => void)[]>();
  const waits: number[] = [];
  const latencies: number[] = [];
  let failed = 0;
  let done = 0;
  let lastEnd = 0;
  const trace = options.trace;

  const serve = (model: string, tokens: number, finish: () => void) => {
    const begin = () => {
      running.set(model, (running.get(model) ?? 0) + 1);
      clock.setTimeout(() => {
        running.set(model, (running.get(model) ?? 1) - 1);
        backlog.get(model)?.shift()?.();
        finish();
      }, service.ttftMs + (service.tokensPerSec > 0 ? (tokens / service.tokensPerSec) * 1000 : 0));
    };
    if ((running.get(model) ?? 0) < service.maxConcurrency) begin();
    else backlog.set(model, [...(backlog.get(model) ?? []), begin]);
  };

  if (options.prewarm ?? true) await prewarm(mux, clock);
  offset = clock.now();
  for (const request of trace) {
    clock.setTimeout(() => {
      const arrived = clock.now();
      mux.acquire(request.model).then(
        (lease) => {
          waits.push(clock.now() - arrived);
          serve(request.model, request.tokens, () => {
            lease.release();
            latencies.push(clock.now() - arrived);
            lastEnd = clock.now();
            done++;
          });
        },
        () => {
          failed++;
          done++;
        },
      );
    }, offset + request.t * 1000 - clock.now());
  }
  // Time moves only when nothing else can happen; each step fires the next timer.
  for (let steps = 0; done < trace.length && steps < 10_000_000; steps++) {
    if (!(await clock.step())) break;
  }
  let closed = false;
  const closing = mux.destroy().finally(() => {
    closed = true;
  });
  // Stopping engines takes (virtual) time too.
  for (let steps = 0; !closed && steps < 100_000; steps++) if (!(await clock.step())) await clock.settle();
  await closing;

  const start = offset + (trace[0]?.t ?? 0) * 1000;
  const makespanSecs = Math.max(0, (lastEnd - start) / 1000);
  return {
    policy: policy.name,
    requests: trace.length,
    served: latencies.length,
    failed,
    waitP50: percentile(waits, 0.5) / 1000,
    waitP99: percentile(waits, 0.99) / 1000,
    waitMax: Math.max(0, ...waits) / 1000,
    latencyP50: percentile(latencies, 0.5) / 1000,
    latencyP99: percentile(latencies, 0.99) / 1000,
    switches,
    longestSwitchSecs: longestSwitchMs / 1000,
    switchingShare: makespanSecs > 0 ? unionMs(switchSpans) / 1000 / makespanSecs : 0,
    makespanSecs,
  };
}

/** Drive admin calls while stepping virtual time until they settle. */
async function drive(clock: VirtualClock, operation: Promise<void>): Promise<void> {
  let settled = false;
  const done = operation.finally(() => {
    settled = true;
  });
  for (let steps = 0; !settled && steps < 100_000; steps++) if (!(await clock.step())) await clock.settle();
  await done;
}

async function prewarm(mux: Multiplexer, clock: VirtualClock): Promise<void> {
  for (const [name, model] of Object.entries(mux.config.models)) {
    await drive(clock, mux.wakeModel(name));
    await drive(clock, mux.sleepModel(name, model.sleep_level));
  }
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

function unionMs(spans: [number, number][]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of sorted) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}
