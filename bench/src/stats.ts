/**
 * Percentiles by the nearest-rank method on a sorted copy: p in [0, 100].
 * Nearest rank (not interpolation) so every reported figure is a latency that
 * was actually observed.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile out of range: ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** a / b, or NaN when either side is missing or b is zero. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) {
    return Number.NaN;
  }
  return a / b;
}

/**
 * The change across evenly spaced samples of the least-squares line through
 * them, as a percentage of the line's first value. Two single samples (first
 * and last) swing with the garbage collector's cycle; the fitted line shows
 * whether memory grows over the whole run.
 */
export function trendPercent(samples: readonly number[]): number {
  const count = samples.length;
  if (count < 2) return Number.NaN;
  const meanX = (count - 1) / 2;
  const meanY = mean(samples);
  let covariance = 0;
  let variance = 0;
  samples.forEach((value, index) => {
    covariance += (index - meanX) * (value - meanY);
    variance += (index - meanX) ** 2;
  });
  const slope = covariance / variance;
  const first = meanY - slope * meanX;
  return first === 0 ? Number.NaN : ((slope * (count - 1)) / first) * 100;
}
