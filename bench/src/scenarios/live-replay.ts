import { DEFAULT_SIM_SERVICE, POLICIES, familyConfig, simulateTrace, type FamilyTrace, type PolicyResult, type SimEngineCostsInput } from "@llmux/core";
import type { BenchContext } from "../context.js";
import { percentile } from "../stats.js";
import type { Row } from "../table.js";
import { BATCH, SCALE, TOKENS_PER_SEC } from "@llmux/live-replay";
import type { LiveRun } from "../trace-replay.js";

/** Policy settings in the simulator's seconds; the live run gets them divided by SCALE. */
export function policyFor(settings: Record<string, unknown>, live: boolean): Record<string, unknown> {
  const secs = ["max_wait_secs", "min_active_secs", "request_timeout_secs", "drain_timeout_secs"];
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, live && secs.includes(key) ? (value as number) / SCALE : value]));
}

/** The same trace in `llmux simulate`'s engine: the same costs, decode rate and batch, cold engines as live. */
export async function simulate(family: FamilyTrace, policy: Record<string, unknown>, costs?: SimEngineCostsInput): Promise<PolicyResult> {
  const config = familyConfig(family, policy);
  const models = Object.fromEntries(Object.entries(config.models).map(([name, model]) => [name, { ...model, extra_args: [], max_concurrency: BATCH }]));
  const [result] = await simulateTrace({
    trace: family.requests,
    config: { ...config, models },
    policies: [POLICIES[policy.policy_type as keyof typeof POLICIES] ?? POLICIES.time_slice],
    service: { maxConcurrency: BATCH, tokensPerSec: TOKENS_PER_SEC, ttftMs: DEFAULT_SIM_SERVICE.ttftMs },
    prewarm: false,
    ...(costs ? { costs } : {}),
  });
  if (!result) throw new Error("no simulation result");
  return result;
}

/** The figures both tables show, live and simulated side by side. */
export interface Figures {
  requests: number;
  served: number;
  refused: number;
  /** Answered with an error after waiting (504 queue timeout, 503 cut off, …): lost. */
  lost: number;
  /** Admitted requests that waited longer than llmux promised them (`policy.overload_refusal`); simulated only: the promise is not on the wire. */
  overPromised?: number;
  waitP50: number;
  waitP99: number;
  waitMax: number;
  switches: number;
  drainShare: number;
}

export function liveFigures(run: LiveRun): Figures {
  const served = run.outcomes.filter((o) => o.done);
  const waits = served.map((o) => o.waitSecs);
  const refused = run.outcomes.filter((o) => o.status === 429).length;
  return {
    requests: run.outcomes.length,
    served: served.length,
    refused,
    lost: run.outcomes.length - served.length - refused,
    waitP50: percentile(waits, 50),
    waitP99: percentile(waits, 99),
    waitMax: Math.max(0, ...waits),
    switches: run.switches,
    drainShare: run.makespanSecs > 0 ? run.drainSecs / run.makespanSecs : 0,
  };
}

export function simFigures(result: PolicyResult): Figures {
  return {
    requests: result.requests,
    served: result.served,
    refused: result.refused,
    lost: result.failed,
    overPromised: result.overPromised,
    waitP50: result.waitP50,
    waitP99: result.waitP99,
    waitMax: result.waitMax,
    switches: result.switches,
    drainShare: result.drainShare,
  };
}

export function figureRows(columns: Record<string, Figures>): Row[] {
  const values = (read: (f: Figures) => number | undefined) => Object.fromEntries(Object.entries(columns).map(([name, f]) => [name, read(f)]));
  return [
    { metric: "requests", unit: "count", values: values((f) => f.requests), digits: 0, ratios: false },
    { metric: "served", unit: "count", values: values((f) => f.served), digits: 0, ratios: false },
    { metric: "refused (429 at once)", unit: "count", values: values((f) => f.refused), digits: 0, ratios: false },
    { metric: "lost (504, 503, other errors after waiting)", unit: "count", values: values((f) => f.lost), digits: 0, ratios: false },
    { metric: "admitted over their promised wait (simulated)", unit: "count", values: values((f) => f.overPromised), digits: 0, ratios: false },
    { metric: "wait p50 (served)", unit: "s", values: values((f) => f.waitP50), digits: 1 },
    { metric: "wait p99 (served)", unit: "s", values: values((f) => f.waitP99), digits: 1 },
    { metric: "wait max (served)", unit: "s", values: values((f) => f.waitMax), digits: 1 },
    { metric: "switches", unit: "count", values: values((f) => f.switches), digits: 0 },
    { metric: "time draining", unit: "%", values: values((f) => f.drainShare * 100), digits: 1 },
  ];
}

export function logFigures(context: BenchContext, name: string, figures: Figures): void {
  context.log(`  ${name}: ${JSON.stringify(figures)}`);
}
