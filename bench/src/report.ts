import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ScenarioResult } from "./context.js";
import { describeMachine, type MachineInfo } from "./machine.js";
import { benchRoot } from "./paths.js";
import { missedBy, renderTable, targetMet } from "./table.js";

export const README_START = "<!-- bench:results:start -->";
export const README_END = "<!-- bench:results:end -->";

export interface RunReport {
  startedAt: string;
  mode: "quick" | "full";
  seconds: number;
  machine: MachineInfo;
  notes: string[];
  scenarios: Record<string, ScenarioResult | { error: string }>;
}

/** Every missed target, one line each. */
export function missedTargets(report: RunReport): string[] {
  const lines: string[] = [];
  for (const result of Object.values(report.scenarios)) {
    if ("error" in result) continue;
    for (const target of result.table.targets) {
      if (!targetMet(target)) lines.push(`${result.table.title}: ${target.name} missed ${missedBy(target)}`);
    }
  }
  return lines;
}

export function renderReport(report: RunReport): string {
  const parts = [`Run ${report.startedAt} (${report.mode}, ${Math.round(report.seconds)} s) on:`, "", describeMachine(report.machine), ""];
  for (const note of report.notes) parts.push(`> ${note}`, "");
  for (const [id, result] of Object.entries(report.scenarios)) {
    if ("error" in result) parts.push(`### ${id}`, "", `Scenario failed: ${result.error}`, "");
    else parts.push(renderTable(result.table));
  }
  const missed = missedTargets(report);
  parts.push("### Targets missed", "", ...(missed.length === 0 ? ["None."] : missed.map((line) => `- ${line}`)), "");
  return parts.join("\n");
}

/** results/<time>-<mode>.json, plus results/latest-<mode>.json for a run of every scenario (the full one is committed). */
export function writeResults(report: RunReport, complete: boolean): string {
  const folder = join(benchRoot, "results");
  mkdirSync(folder, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-");
  const text = `${JSON.stringify(report, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value instanceof Float64Array ? undefined : value), 2)}\n`;
  const path = join(folder, `${stamp}-${report.mode}.json`);
  writeFileSync(path, text);
  if (complete) writeFileSync(join(folder, `latest-${report.mode}.json`), text);
  return path;
}

/** Replace the block between the markers in bench/README.md with the new report. */
export function updateReadme(report: RunReport): void {
  const path = join(benchRoot, "README.md");
  const current = existsSync(path) ? readFileSync(path, "utf8") : `# @llmux/bench\n\n${README_START}\n${README_END}\n`;
  const start = current.indexOf(README_START);
  const end = current.indexOf(README_END);
  if (start === -1 || end === -1 || end < start) throw new Error(`bench/README.md lacks the ${README_START} / ${README_END} markers`);
  const next = `${current.slice(0, start + README_START.length)}\n\n${renderReport(report)}\n${current.slice(end)}`;
  writeFileSync(path, next);
}
