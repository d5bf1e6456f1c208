/**
 * TEST-ONLY: reads a Prometheus text scrape the way the Gateway API Inference
 * Extension's endpoint picker does (v1.5.0, its `core-metrics-extractor` with
 * the vLLM defaults), so a test can check that llmux's scrape gives the picker
 * what llmux means. Never shipped: the real picker runs in the cluster.
 */

export interface Sample {
  labels: Record<string, string>;
  value: number;
  timestampMs: number | undefined;
}

export interface Family {
  type: string;
  samples: Sample[];
}

/** What the picker keeps of one pod after a scrape. */
export interface PodMetrics {
  waitingQueueSize: number;
  runningRequestsSize: number;
  kvCacheUsagePercent: number;
  activeModels: Set<string>;
  waitingModels: Set<string>;
  maxActiveModels: number;
}

export class ScrapeError extends Error {
  override readonly name = "ScrapeError";
}

/** Parse Prometheus text exposition format into families keyed by name (histogram and summary series join their family). */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const match = /^#\s+TYPE\s+(\S+)\s+(\S+)$/.exec(line);
      if (match) families.set(match[1] as string, { type: match[2] as string, samples: families.get(match[1] as string)?.samples ?? [] });
      continue;
    }
    const { name, labels, rest } = splitSample(line, index + 1);
    const [valueText, timestampText] = rest.trim().split(/\s+/);
    const value = parseFloatLikeGo(valueText);
    if (value === undefined) throw new ScrapeError(`line ${index + 1}: bad value ${String(valueText)}`);
    const family = families.get(name) ?? families.get(baseName(name, families)) ?? { type: "untyped", samples: [] };
    if (!families.has(name) && !families.has(baseName(name, families))) families.set(name, family);
    family.samples.push({ labels, value, timestampMs: timestampText === undefined ? undefined : Number(timestampText) });
  }
  return families;
}

/** Go's ParseFloat, which the picker's text parser uses: NaN and (signed) Inf/Infinity in any case. */
function parseFloatLikeGo(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const lower = text.toLowerCase();
  if (lower === "nan") return Number.NaN;
  const sign = lower.startsWith("-") ? -1 : 1;
  const unsigned = lower.replace(/^[+-]/, "");
  if (unsigned === "inf" || unsigned === "infinity") return sign * Number.POSITIVE_INFINITY;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

function baseName(name: string, families: Map<string, Family>): string {
  const match = /^(.*)_(bucket|sum|count|created)$/.exec(name);
  const base = match?.[1];
  const type = base === undefined ? undefined : families.get(base)?.type;
  return base !== undefined && (type === "histogram" || type === "summary") ? base : name;
}

function splitSample(line: string, lineNumber: number): { name: string; labels: Record<string, string>; rest: string } {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (name === undefined) throw new ScrapeError(`line ${lineNumber}: no metric name`);
  const labels: Record<string, string> = {};
  let at = name.length;
  if (line[at] === "{") {
    at += 1;
    for (;;) {
      while (line[at] === " " || line[at] === ",") at += 1;
      if (line[at] === "}") {
        at += 1;
        break;
      }
      const label = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(at))?.[0];
      if (label === undefined || line[at + label.length] !== "=" || line[at + label.length + 1] !== '"') throw new ScrapeError(`line ${lineNumber}: bad label`);
      at += label.length + 2;
      let value = "";
      while (line[at] !== '"') {
        if (at >= line.length) throw new ScrapeError(`line ${lineNumber}: unterminated label value`);
        if (line[at] === "\\") {
          const next = line[at + 1];
          value += next === "n" ? "\n" : (next ?? "");
          at += 2;
        } else value += line[at++];
      }
      at += 1;
      if (label in labels) throw new ScrapeError(`line ${lineNumber}: duplicate label ${label}`);
      labels[label] = value;
    }
  }
  return { name, labels, rest: line.slice(at) };
}

/** The picker's value of a series: gauges and counters only; any other type reads as 0. */
function sampleValue(family: Family, sample: Sample | undefined): number {
  if (sample === undefined) return 0;
  return family.type === "gauge" || family.type === "counter" ? sample.value : 0;
}

function familyOf(families: Map<string, Family>, name: string): Family {
  const family = families.get(name);
  if (family === undefined) throw new ScrapeError(`metric family "${name}" not found`);
  if (family.samples.length === 0) throw new ScrapeError(`no metrics found for "${name}"`);
  return family;
}

/** A plain spec: the series with the latest timestamp (the first one when none carries a timestamp). */
function latest(families: Map<string, Family>, name: string): number {
  const family = familyOf(families, name);
  let chosen: Sample | undefined;
  let recent = -1;
  for (const sample of family.samples) {
    const at = sample.timestampMs ?? 0;
    if (at > recent) {
      recent = at;
      chosen = sample;
    }
  }
  return sampleValue(family, chosen);
}

/** The LoRA spec: the series with the highest value (its value is when it was last updated). */
function latestLora(families: Map<string, Family>, name: string): Sample {
  const family = familyOf(families, name);
  let chosen: Sample | undefined;
  let recent = -1;
  for (const sample of family.samples) {
    const value = sampleValue(family, sample);
    if (value > recent) {
      recent = value;
      chosen = sample;
    }
  }
  if (chosen === undefined) throw new ScrapeError(`no matching lora metric found for "${name}"`);
  return chosen;
}

function adapters(csv: string | undefined): Set<string> {
  return new Set(
    (csv ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
  );
}

/** The picker's view of one pod from one scrape, with the vLLM metric names it uses by default. */
export function extractPodMetrics(text: string): PodMetrics {
  const families = parseExposition(text);
  const lora = latestLora(families, "vllm:lora_requests_info");
  const maxLora = lora.labels.max_lora ?? "";
  if (maxLora !== "" && !/^[+-]?\d+$/.test(maxLora)) throw new ScrapeError(`max_lora is not an integer: ${JSON.stringify(maxLora)}`);
  return {
    waitingQueueSize: Math.trunc(latest(families, "vllm:num_requests_waiting")),
    runningRequestsSize: Math.trunc(latest(families, "vllm:num_requests_running")),
    kvCacheUsagePercent: latest(families, "vllm:kv_cache_usage_perc"),
    activeModels: adapters(lora.labels.running_lora_adapters),
    waitingModels: adapters(lora.labels.waiting_lora_adapters),
    maxActiveModels: maxLora === "" ? 0 : Number.parseInt(maxLora, 10),
  };
}
