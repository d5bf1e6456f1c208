import { ratio } from "./stats.js";

export interface Row {
  metric: string;
  unit: string;
  /** One value per column; undefined when that column did not run. */
  values: Record<string, number | undefined>;
  /** Decimal places; default chosen from the magnitude. */
  digits?: number;
  /** false: print the values without a ratio (e.g. counts). */
  ratios?: boolean;
}

export interface Target {
  name: string;
  /** The measured figure, in `unit`. */
  measured: number;
  limit: number;
  unit: string;
  /** "max": measured must be ≤ limit; "min": measured must be ≥ limit. */
  kind: "max" | "min";
}

export interface Table {
  id: string;
  title: string;
  /** Name of the column every ratio is taken against. */
  baseline: string;
  columns: string[];
  rows: Row[];
  targets: Target[];
  notes: string[];
}

export function targetMet(target: Target): boolean {
  if (!Number.isFinite(target.measured)) return false;
  return target.kind === "max" ? target.measured <= target.limit : target.measured >= target.limit;
}

/** "by 0.3 ms (1.6× the limit)" for a missed target. */
export function missedBy(target: Target): string {
  if (!Number.isFinite(target.measured)) return "not measured";
  const gap = Math.abs(target.measured - target.limit);
  const times = target.limit === 0 ? "" : ` (${formatNumber(target.measured / target.limit, 2)}× the limit)`;
  return `by ${formatNumber(gap)} ${target.unit}${times}`;
}

export function formatNumber(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return "n/a";
  const places = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3);
  return value.toLocaleString("en-US", { minimumFractionDigits: places, maximumFractionDigits: places });
}

function cell(row: Row, column: string, baseline: number | undefined, isBaseline: boolean): string {
  const value = row.values[column];
  if (value === undefined) return "—";
  const text = `${formatNumber(value, row.digits)}`;
  if (row.ratios === false || isBaseline) return text;
  const r = ratio(value, baseline);
  return Number.isFinite(r) ? `${text} (${formatNumber(r, 2)}×)` : text;
}

/** A Markdown table (readable in a terminal too), then the targets and notes. */
export function renderTable(table: Table): string {
  const header = [`metric`, ...table.columns.map((column) => (column === table.baseline ? `${column} (baseline)` : column))];
  const lines = [`### ${table.title}`, "", `| ${header.join(" | ")} |`, `|${header.map((_, index) => (index === 0 ? "---" : "---:")).join("|")}|`];
  for (const row of table.rows) {
    const baseline = row.values[table.baseline];
    const cells = table.columns.map((column) => cell(row, column, baseline, column === table.baseline));
    lines.push(`| ${row.metric} (${row.unit}) | ${cells.join(" | ")} |`);
  }
  if (table.targets.length > 0) {
    lines.push("", "| target | measured | limit | result |", "|---|---:|---:|---|");
    for (const target of table.targets) {
      const verdict = targetMet(target) ? "met" : `**missed** ${missedBy(target)}`;
      const sign = target.kind === "max" ? "≤" : "≥";
      lines.push(`| ${target.name} | ${formatNumber(target.measured)} ${target.unit} | ${sign} ${formatNumber(target.limit)} ${target.unit} | ${verdict} |`);
    }
  }
  if (table.notes.length > 0) {
    lines.push("");
    for (const note of table.notes) lines.push(`- ${note}`);
  }
  return `${lines.join("\n")}\n`;
}
