import type { PolicyResult } from "./sim-results.js";

const COLUMNS: [string, (r: PolicyResult) => string][] = [
  ["policy", (r) => r.policy],
  ["requests", (r) => String(r.requests)],
  ["failed", (r) => String(r.failed)],
  ["cut off", (r) => String(r.preempted)],
  ["429", (r) => String(r.refused)],
  ["wait p50 (s)", (r) => r.waitP50.toFixed(1)],
  ["wait p99 (s)", (r) => r.waitP99.toFixed(1)],
  ["wait max (s)", (r) => r.waitMax.toFixed(1)],
  ["latency p50 (s)", (r) => r.latencyP50.toFixed(1)],
  ["latency p99 (s)", (r) => r.latencyP99.toFixed(1)],
  ["switches", (r) => String(r.switches)],
  ["switching", (r) => `${(r.switchingShare * 100).toFixed(0)}%`],
  ["draining", (r) => `${(r.drainShare * 100).toFixed(0)}%`],
  ["drain max (s)", (r) => r.drainMax.toFixed(1)],
  ["bound (s)", (r) => r.boundSecs.toFixed(0)],
  ["over bound", (r) => String(r.overBound)],
  ["K-model bound (s)", (r) => r.roundBoundSecs.toFixed(0)],
  ["over it", (r) => String(r.overRoundBound)],
  ["over turn bound", (r) => String(r.overTurnBound)],
];

/** A plain-text table of simulation results, one row per policy. */
export function formatResultsTable(results: readonly PolicyResult[]): string {
  const rows = [COLUMNS.map(([title]) => title), ...results.map((r) => COLUMNS.map(([, cell]) => cell(r)))];
  const widths = COLUMNS.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  ");
  const [header, ...body] = rows;
  return [line(header ?? []), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** The same table as Markdown, for READMEs. */
export function formatResultsMarkdown(results: readonly PolicyResult[]): string {
  const header = `| ${COLUMNS.map(([title]) => title).join(" | ")} |`;
  const rule = `|${COLUMNS.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`;
  return [header, rule, ...results.map((r) => `| ${COLUMNS.map(([, cell]) => cell(r)).join(" | ")} |`)].join("\n");
}
