import { request } from "undici";

/** Sum of each metric's samples in a Prometheus text exposition (labels dropped). */
export async function metricTotals(metricsUrl: string | undefined, names: string[]): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const name of names) totals[name] = 0;
  if (metricsUrl === undefined) return totals;
  let text = "";
  try {
    const response = await request(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
    text = await response.body.text();
  } catch {
    return totals;
  }
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+)/.exec(line);
    if (match === null) continue;
    const name = match[1]!;
    if (name in totals) totals[name] = (totals[name] ?? 0) + Number(match[3]);
  }
  return totals;
}
