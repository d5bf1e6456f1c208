/** The q-quantile (0..1) of `values` (nearest rank), or 0 for none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/** Milliseconds rounded for printing. */
export function ms(value: number): number {
  return Math.round(value);
}

/** A deterministic pseudo-random generator, so a failing run can be replayed with its seed (core's, used for its traces). */
export { seededRandom } from "@llmux/core";

/** The seed of this run: `LLMUX_RELIABILITY_SEED` or a fresh one (printed with the figures). */
export function runSeed(): number {
  const fixed = Number(process.env["LLMUX_RELIABILITY_SEED"]);
  return Number.isInteger(fixed) && fixed > 0 ? fixed : Math.floor(Math.random() * 2 ** 31) + 1;
}
