import { appendFileSync } from "node:fs";
import { MODE_NAME } from "./mode.js";

export type Figures = Record<string, string | number | boolean | Record<string, number>>;

/**
 * Print a scenario's figures as an aligned block (always, so CI logs show
 * them) and, when `LLMUX_RELIABILITY_REPORT` names a file, append them there
 * as one JSON line, from which `docs/reliability.md` is written.
 */
export function printFigures(scenario: string, figures: Figures): void {
  const width = Math.max(...Object.keys(figures).map((key) => key.length));
  const lines = [`reliability ${scenario} (${MODE_NAME})`];
  for (const [key, value] of Object.entries(figures)) {
    const shown = typeof value === "object" ? formatCounts(value) : String(value);
    lines.push(`  ${key.padEnd(width)}  ${shown}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  const report = process.env["LLMUX_RELIABILITY_REPORT"];
  if (report !== undefined && report !== "") {
    appendFileSync(report, `${JSON.stringify({ scenario, mode: MODE_NAME, at: new Date().toISOString(), figures })}\n`);
  }
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return "none";
  return entries
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, count]) => `${key}=${count}`)
    .join(", ");
}

/** Increment `counts[key]`. */
export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
