import type { PodMetrics } from "./picker-rules.js";
import { type WeightedScorer, scorePods } from "./routers.js";

/**
 * Where a fleet's slowest requests spent their time: what the router saw
 * when it chose their pod, and what that pod did while they waited (its
 * switches and state changes, from llmux's own log). For reading a tail on
 * the tuning seeds, never part of a reported figure.
 */

/** One line of a pod's log that says what the pod did (a switch, a state change), at wall-clock ms. */
interface PodEvent {
  at: number;
  text: string;
}

export interface PickRecord {
  /** Wall-clock ms of the pick. */
  at: number;
  /** What the router read of every pod (the metric picker's view; empty for the others). */
  view: readonly PodMetrics[];
  /** Wall-clock ms each pod's view in `view` was asked for. */
  scrapedAt: readonly number[];
}

export interface TailEntry {
  t: number;
  model: string;
  pod: number;
  ms: number;
  /** The picker's view and score of every pod at the pick. */
  pods: string[];
  /** The chosen pod's switches and state changes from the pick to the answer, ms after the pick. */
  events: string[];
}

/** Collects every pod's switch log lines (llmux at `info`) and the requests the router sent it. */
export class PodLogs {
  readonly #events: PodEvent[][];

  constructor(pods: number) {
    this.#events = Array.from({ length: pods }, () => []);
  }

  /** A line llmux printed. */
  add(pod: number, line: string): void {
    let parsed: { time?: number; msg?: string; switch_id?: number; reason?: string };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return;
    }
    if (typeof parsed.time !== "number" || typeof parsed.msg !== "string") return;
    // Switches only: their end line names every phase (drain, sleep, wake) with its duration.
    if (parsed.switch_id === undefined) return;
    const text = parsed.reason === undefined ? parsed.msg : `${parsed.msg} (${parsed.reason})`;
    this.#events[pod]?.push({ at: parsed.time, text });
  }

  /** The router sent a request for `model` to `pod`. */
  picked(pod: number, at: number, model: string): void {
    this.#events[pod]?.push({ at, text: `picked for ${model}` });
  }

  between(pod: number, from: number, to: number): PodEvent[] {
    return (this.#events[pod] ?? []).filter((event) => event.at >= from && event.at <= to);
  }
}

function describePod(metrics: PodMetrics, score: number | undefined, ageMs: number): string {
  const running = [...metrics.activeModels].join(",") || "-";
  const waiting = [...metrics.waitingModels].join(",") || "-";
  const scored = score === undefined ? "" : ` score ${score.toFixed(2)}`;
  return `running ${running} waiting ${waiting} queue ${metrics.waitingQueueSize} running-requests ${metrics.runningRequestsSize}${scored}, scraped ${Math.round(ageMs)} ms before`;
}

/** The slowest `share` of `timed` (at least one), each with the router's view at its pick and its pod's log while it waited. */
export function diagnoseTail(
  timed: readonly { t: number; model: string; pod: number; ms: number; pick: PickRecord }[],
  logs: PodLogs,
  scorers: readonly WeightedScorer[] | undefined,
  share = 0.01,
): TailEntry[] {
  const slowest = [...timed].sort((a, b) => b.ms - a.ms).slice(0, Math.max(1, Math.ceil(timed.length * share)));
  return slowest.map((one) => {
    const scores = scorers && one.pick.view.length > 0 ? scorePods(one.pick.view, one.model, scorers) : undefined;
    return {
      t: one.t,
      model: one.model,
      pod: one.pod,
      ms: one.ms,
      pods: one.pick.view.map((metrics, pod) => `pod ${pod}: ${describePod(metrics, scores?.[pod], one.pick.at - (one.pick.scrapedAt[pod] ?? 0))}`),
      events: logs
        .between(one.pod, one.pick.at - 2000, one.pick.at + one.ms)
        .sort((a, b) => a.at - b.at)
        .map((event) => `${event.at - one.pick.at >= 0 ? "+" : ""}${Math.round(event.at - one.pick.at)} ms ${event.text}`),
    };
  });
}

/**
 * The measured requests by what the router's view showed for their model at
 * the pick: awake on some pod, waited for on some pod, or nowhere (a stray),
 * with each group's count, p50, p99 and slowest (ms).
 */
export function byPickView(timed: readonly { model: string; ms: number; pick: PickRecord }[]): string[] {
  const groups = new Map<string, number[]>();
  for (const one of timed) {
    const awake = one.pick.view.some((metrics) => metrics.activeModels.has(one.model));
    const waited = one.pick.view.some((metrics) => metrics.waitingModels.has(one.model));
    const key = awake ? "awake somewhere" : waited ? "waited for somewhere" : "nowhere (a stray)";
    groups.set(key, [...(groups.get(key) ?? []), one.ms]);
  }
  return [...groups].map(([key, values]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    return `${key}: ${values.length} requests, p50 ${at(50)} ms, p99 ${at(99)} ms, slowest ${sorted[sorted.length - 1] ?? 0} ms`;
  });
}
