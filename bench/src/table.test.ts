import { describe, expect, it } from "vitest";
import { missedBy, renderTable, targetMet, type Table } from "./table.js";

const table: Table = {
  id: "overhead",
  title: "Proxy overhead",
  baseline: "direct",
  columns: ["direct", "nginx", "llmux"],
  rows: [
    { metric: "throughput c=50", unit: "req/s", values: { direct: 10000, nginx: 7600, llmux: undefined } },
    { metric: "requests", unit: "count", values: { direct: 5, nginx: 5, llmux: 5 }, ratios: false },
  ],
  targets: [
    { name: "added p50", measured: 0.8, limit: 0.5, unit: "ms", kind: "max" },
    { name: "vs nginx", measured: 0.6, limit: 0.5, unit: "×", kind: "min" },
  ],
  notes: ["llmux column skipped: not built"],
};

describe("renderTable", () => {
  const text = renderTable(table);

  it("prints each figure with its ratio to the baseline, and a dash for a column that did not run", () => {
    expect(text).toContain("| metric | direct (baseline) | nginx | llmux |");
    expect(text).toContain("| throughput c=50 (req/s) | 10,000 | 7,600 (0.76×) | — |");
    expect(text).toContain("| requests (count) | 5.00 | 5.00 | 5.00 |");
  });

  it("says which targets were missed and by how much", () => {
    expect(text).toContain("| added p50 | 0.800 ms | ≤ 0.500 ms | **missed** by 0.300 ms (1.60× the limit) |");
    expect(text).toContain("| vs nginx | 0.600 × | ≥ 0.500 × | met |");
    expect(text).toContain("- llmux column skipped: not built");
  });
});

describe("targets", () => {
  it("treats a figure that could not be measured as missed", () => {
    const target = { name: "x", measured: Number.NaN, limit: 1, unit: "ms", kind: "max" as const };
    expect(targetMet(target)).toBe(false);
    expect(missedBy(target)).toBe("not measured");
  });
});
