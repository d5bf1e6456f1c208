import { readFileSync, readdirSync } from "node:fs";
import {
  HELD_OUT_SEEDS,
  LIGHT_LOAD,
  OVERLOAD,
  POLICIES,
  TRACE_SHAPES,
  familyConfig,
  familyTrace,
  parseTrace,
  simulateTrace,
  traceConfig,
  withoutAdmissionLimit,
  type PolicyResult,
} from "@llmux/core";
import { join } from "node:path";
import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { repoRoot } from "../paths.js";
import type { Row, Target } from "../table.js";

/** The first simulator's costs, which the committed traces were built for (see packages/core/README.md). */
const FIRST_MODEL = {
  costs: { startMs: 40_000, sleepMs: { 1: 3_000, 2: 300 }, wakeMs: { 1: 1_000, 2: 4_000 }, stopMs: 1_000 },
  service: { maxConcurrency: 32 },
} as const;

function rowsFor(name: string, results: readonly PolicyResult[], columns: readonly string[]): Row[] {
  const values = (read: (result: PolicyResult) => number): Record<string, number | undefined> =>
    Object.fromEntries(
      columns.map((policy) => {
        const result = results.find((each) => each.policy === policy);
        return [policy, result ? read(result) : undefined];
      }),
    );
  return [
    { metric: `${name}: latency p50`, unit: "s", values: values((r) => r.latencyP50), digits: 2 },
    { metric: `${name}: latency p99`, unit: "s", values: values((r) => r.latencyP99), digits: 2 },
    { metric: `${name}: latency p99, requests that waited for a switch`, unit: "s", values: values((r) => r.switchedLatencyP99), digits: 2 },
    { metric: `${name}: wait max`, unit: "s", values: values((r) => r.waitMax), digits: 2 },
    { metric: `${name}: switches`, unit: "count", values: values((r) => r.switches), digits: 0 },
    { metric: `${name}: time switching`, unit: "%", values: values((r) => r.switchingShare * 100), digits: 1 },
    { metric: `${name}: time draining`, unit: "%", values: values((r) => r.drainShare * 100), digits: 1 },
    { metric: `${name}: requests failed`, unit: "count", values: values((r) => r.failed), digits: 0, ratios: false },
    { metric: `${name}: waits over time_slice's bound`, unit: "count", values: values((r) => r.overBound), digits: 0, ratios: false },
  ];
}

/** time_slice with preemption as tuned on the tuning seeds: pause after 1 s of drain, at most once per request. */
const PREEMPTING = { max_drain_secs: 1, max_preemptions: 1 } as const;
const PREEMPTING_NAME = "time_slice+pause";

export const policiesScenario: Scenario = {
  id: "policies",
  title: "5. Policies (core's trace simulator: held-out family traces and packages/core/traces/, every policy against fifo)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const byTrace: Record<string, PolicyResult[]> = {};
    const targets: Target[] = [];
    const shapes = Object.keys(TRACE_SHAPES);
    for (const shape of context.options.quick ? shapes.slice(0, 2) : shapes) {
      for (const seed of context.options.quick ? HELD_OUT_SEEDS.slice(0, 1) : HELD_OUT_SEEDS) {
        const family = familyTrace(shape, seed, context.options.quick ? { durationSecs: 600 } : {});
        context.log(`  trace ${family.name}`);
        const config = familyConfig(family);
        // fifo is the original llmux: every request let into vLLM at once.
        const results = [
          ...(await simulateTrace({ trace: family.requests, config: withoutAdmissionLimit(config), policies: [POLICIES.fifo] })),
          ...(await simulateTrace({ trace: family.requests, config, policies: [POLICIES.cost_aware, POLICIES.time_slice] })),
          ...(await simulateTrace({ trace: family.requests, config: familyConfig(family, PREEMPTING), policies: [POLICIES.time_slice] })).map((r) => ({
            ...r,
            policy: PREEMPTING_NAME,
          })),
        ];
        byTrace[family.name] = results;
        const fifo = results.find((r) => r.policy === "fifo");
        const drainOnly = results.find((r) => r.policy === "time_slice");
        const best = results.find((r) => r.policy === PREEMPTING_NAME);
        if (!fifo || !drainOnly || !best) continue;
        // Above capacity the queue grows whatever the policy: reported, not held to the targets.
        if (family.shape.load > OVERLOAD) continue;
        const light = family.shape.load <= LIGHT_LOAD;
        const target = (name: string, measured: number, limit: number, unit: string) =>
          targets.push({ name: `${family.name}: ${name}`, measured, limit, unit, kind: "max" });
        target(`${PREEMPTING_NAME} p99 latency ÷ fifo's`, best.latencyP99 / fifo.latencyP99, light ? 1.05 : 0.6, "×");
        if (!light) target(`${PREEMPTING_NAME} switches ÷ fifo's`, best.switches / fifo.switches, 0.8, "×");
        target(`${PREEMPTING_NAME} waits over max_wait_secs + one generation + one switch`, best.overBound, 0, "requests");
        target(`${PREEMPTING_NAME} waits over the K-model bound`, best.overRoundBound, 0, "requests");
        target(`${PREEMPTING_NAME} waits over the bound with each turn counted at its backlog`, best.overTurnBound, 0, "requests");
        target(
          `${PREEMPTING_NAME} p99 of requests that waited for a switch ÷ drain-only time_slice's`,
          best.switchedLatencyP99 / drainOnly.switchedLatencyP99,
          0.5,
          "×",
        );
        target(`${PREEMPTING_NAME} GPU busy time ÷ drain-only time_slice's`, best.gpuBusySecs / drainOnly.gpuBusySecs, 1.05, "×");
      }
    }
    const folder = join(repoRoot, "packages", "core", "traces");
    const files = readdirSync(folder)
      .filter((name) => name.endsWith(".jsonl"))
      .sort();
    if (files.length === 0) throw new Error(`no traces (*.jsonl) in ${folder}`);
    for (const file of files) {
      context.log(`  trace ${file}`);
      const trace = parseTrace(readFileSync(join(folder, file), "utf8"));
      const config = traceConfig(trace);
      byTrace[file.replace(/\.jsonl$/, "")] = [
        ...(await simulateTrace({ trace, config: withoutAdmissionLimit(config), policies: [POLICIES.fifo], ...FIRST_MODEL })),
        ...(await simulateTrace({ trace, config, policies: [POLICIES.cost_aware, POLICIES.time_slice], ...FIRST_MODEL })),
      ];
    }
    const policies = [...new Set(Object.values(byTrace).flatMap((results) => results.map((result) => result.policy)))];
    const columns = ["fifo", ...policies.filter((policy) => policy !== "fifo")];
    const rows = Object.entries(byTrace).flatMap(([name, results]) => rowsFor(name, results, columns));
    return {
      table: {
        id: "policies",
        title: this.title,
        baseline: "fifo",
        columns,
        rows,
        targets,
        notes: [
          "Virtual time: the same Multiplexer, admission and policies as in production, driving simulated engines; deterministic, so no repeats are needed.",
          "fifo is the original llmux (no admission limit: every request goes into vLLM at once); cost_aware and time_slice run with llmux holding the queue; time_slice+pause is time_slice with max_drain_secs 1 and max_preemptions 1.",
          "A family trace's load is a share of its capacity (packages/core/README.md); traces above capacity (load over 1: the overload-* shapes and, with capacity measured from the simulator's turns, two-equal-saturated, chat-plus-batch and mixed-levels) are reported but not held to the targets.",
          "Family traces (name@seed) use the held-out seeds and core's default costs (published vLLM figures); the committed traces keep the first simulator's costs.",
        ],
      },
      raw: byTrace,
    };
  },
};
