import { readFileSync, readdirSync } from "node:fs";
import { type PolicyResult, parseTrace, simulateTrace } from "@llmux/core";
import { join } from "node:path";
import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { repoRoot } from "../paths.js";
import type { Row } from "../table.js";

export const policiesScenario: Scenario = {
  id: "policies",
  title: "5. Policies (core's trace simulator on packages/core/traces/, every policy against fifo)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const folder = join(repoRoot, "packages", "core", "traces");
    const files = readdirSync(folder).filter((name) => name.endsWith(".jsonl")).sort();
    if (files.length === 0) throw new Error(`no traces (*.jsonl) in ${folder}`);
    const byTrace: Record<string, PolicyResult[]> = {};
    for (const file of files) {
      context.log(`  trace ${file}`);
      const trace = parseTrace(readFileSync(join(folder, file), "utf8"));
      byTrace[file] = await simulateTrace({ trace });
    }
    const policies = [...new Set(Object.values(byTrace).flatMap((results) => results.map((result) => result.policy)))];
    const columns = ["fifo", ...policies.filter((policy) => policy !== "fifo")];
    const rows: Row[] = [];
    for (const [file, results] of Object.entries(byTrace)) {
      const values = (read: (result: PolicyResult) => number): Record<string, number | undefined> =>
        Object.fromEntries(columns.map((policy) => {
          const result = results.find((each) => each.policy === policy);
          return [policy, result ? read(result) : undefined];
        }));
      const name = file.replace(/\.jsonl$/, "");
      rows.push(
        { metric: `${name}: latency p50`, unit: "s", values: values((r) => r.latencyP50), digits: 2 },
        { metric: `${name}: latency p99`, unit: "s", values: values((r) => r.latencyP99), digits: 2 },
        { metric: `${name}: wait max`, unit: "s", values: values((r) => r.waitMax), digits: 2 },
        { metric: `${name}: switches`, unit: "count", values: values((r) => r.switches), digits: 0 },
        { metric: `${name}: time switching`, unit: "%", values: values((r) => r.switchingShare * 100), digits: 1 },
        { metric: `${name}: requests failed`, unit: "count", values: values((r) => r.failed), digits: 0, ratios: false },
      );
    }
    return {
      table: {
        id: "policies",
        title: this.title,
        baseline: "fifo",
        columns,
        rows,
        targets: [],
        notes: ["Virtual time: the same Multiplexer and policies as in production, driving simulated engines with core's default costs; deterministic, so no repeats are needed."],
      },
      raw: byTrace,
    };
  },
};
