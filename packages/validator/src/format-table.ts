import type { GpuMemoryReading } from "./gpu-memory.js";
import type { LevelReport, ValidationReport } from "./report.js";

/**
 * The original llmux's table, column for column: a left-aligned level of 8,
 * right-aligned columns of 10 (times), 10 + " MiB" (memory), 10 (response) and
 * 6 (pass), a header padded to 12 for the memory columns, and a rule of 88
 * dashes. Users diff this output against the original's, so keep it exact.
 */
export const RULE = "-".repeat(88);
export const HEADER = [
  "Level".padEnd(8),
  "Sleep (s)".padStart(10),
  "Wake (s)".padStart(10),
  "GPU Before".padStart(12),
  "GPU After".padStart(12),
  "GPU Wake".padStart(12),
  "Response".padStart(10),
  "Pass".padStart(6),
].join(" ");

/** Shown in a cell whose value was not measured (step failed, or no nvidia-smi). */
export const NOT_MEASURED = "n/a";

const seconds = (value: number | null): string => (value === null ? NOT_MEASURED : value.toFixed(1));
const mib = (reading: GpuMemoryReading | null): string => (reading === null ? NOT_MEASURED.padStart(14) : `${String(reading.totalMiB).padStart(10)} MiB`);

function responseCell(row: LevelReport): string {
  if (row.checks.response.status === "pass") return "match";
  if (row.answer === null) return NOT_MEASURED;
  return "MISMATCH";
}

function passCell(row: LevelReport): string {
  if (row.verdict === "OK") return "OK";
  if (row.verdict === "FAIL") return "FAIL";
  return NOT_MEASURED;
}

/** One table row. */
export function formatRow(row: LevelReport): string {
  return [
    `L${row.level}`.padEnd(8),
    seconds(row.sleepSecs).padStart(10),
    seconds(row.wakeSecs).padStart(10),
    mib(row.gpuBefore),
    mib(row.gpuAfter),
    mib(row.gpuWake),
    responseCell(row).padStart(10),
    passCell(row).padStart(6),
  ].join(" ");
}

/** The result line; the first two are the original's words. */
export function resultLine(report: ValidationReport): string {
  if (report.result === "passed") return "Result: ALL PASSED";
  if (report.result === "failed") return "Result: SOME FAILED";
  return `Result: NOT VERIFIED (GPU memory was not checked: ${report.memory.reason ?? "some readings failed, see the warnings"})`;
}

const perGpu = (reading: GpuMemoryReading | null): string =>
  reading === null ? NOT_MEASURED : reading.perGpuMiB.map((value, index) => `GPU${index} ${value} MiB`).join(", ");

/** The whole human-readable report: warnings, table, failure reasons, result, and with `verbose` the details. */
export function formatReport(report: ValidationReport, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const warning of report.warnings) lines.push(`Warning: ${warning}`);
  if (!report.memory.checked) {
    lines.push(`GPU memory checks not run: ${report.memory.reason ?? "unknown reason"}`);
  }
  if (lines.length > 0) lines.push("");
  if (options.verbose) {
    lines.push(`Model: ${report.model} (${report.modelPath})`);
    lines.push(`vLLM version: ${report.vllmVersion ?? "unknown"}`);
    lines.push(`Baseline GPU memory: ${report.memory.baseline ? `${report.memory.baseline.totalMiB} MiB (${perGpu(report.memory.baseline)})` : NOT_MEASURED}`);
    if (report.startupSecs !== null) lines.push(`Cold start: ${report.startupSecs.toFixed(1)} s`);
    lines.push(`Reference answer: ${report.reference === null ? NOT_MEASURED : JSON.stringify(report.reference)}`);
    lines.push("");
  }
  lines.push(HEADER, RULE);
  for (const row of report.rows) lines.push(formatRow(row));
  lines.push("");
  if (report.fatal) lines.push(`Error (${report.fatal.step}): ${report.fatal.code}: ${report.fatal.message}`);
  for (const row of report.rows) {
    for (const failure of row.failures) lines.push(`L${row.level} FAIL: ${failure}`);
  }
  if (options.verbose) {
    for (const row of report.rows) {
      lines.push(`L${row.level} answer: ${row.answer === null ? NOT_MEASURED : JSON.stringify(row.answer)}`);
      lines.push(`L${row.level} GPU before: ${perGpu(row.gpuBefore)}; after: ${perGpu(row.gpuAfter)}; wake: ${perGpu(row.gpuWake)}`);
      if (row.wakeCalls.length > 0) {
        const calls = row.wakeCalls.map((call) => `${call.route} ${(call.durationMs / 1000).toFixed(3)} s`).join(", ");
        lines.push(`L${row.level} wake calls: ${calls}`);
      }
    }
  }
  if (report.fatal || report.rows.some((row) => row.failures.length > 0) || options.verbose) lines.push("");
  lines.push(resultLine(report));
  return `${lines.join("\n")}\n`;
}

/** The report as JSON for machines (stable field names; see the README). */
export function formatJson(report: ValidationReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
