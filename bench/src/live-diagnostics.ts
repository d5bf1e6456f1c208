import { DEFAULT_SIM_COSTS, DEFAULT_SIM_SERVICE, type SimEngineCostsInput } from "@llmux/core";
import { mean, percentile } from "./stats.js";
import type { Row } from "./table.js";
import { SCALE } from "@llmux/live-replay";
import type { LiveRun } from "./trace-replay.js";

/** What a live run measured of the costs and the service model the trace simulator assumes (simulator's seconds). */
export interface LiveMeasures {
  /** Engine time of each served request (request_start → request_end) ÷ first token + tokens at the configured rate; cold requests apart. */
  decodeRatioP50: number;
  decodeRatioMax: number;
  coldRequests: number;
  /** Mean measured switch phases, seconds scaled back; undefined when the run had none. */
  phases: Record<PhaseKey, number | undefined>;
}

type PhaseKey = "start" | "sleep1" | "sleep2" | "wake1" | "wake2";

/** The trace simulator's cost of each phase, seconds. */
export const CONFIGURED_PHASES: Record<PhaseKey, number> = {
  start: DEFAULT_SIM_COSTS.startMs / 1000,
  sleep1: DEFAULT_SIM_COSTS.sleepMs[1] / 1000,
  sleep2: DEFAULT_SIM_COSTS.sleepMs[2] / 1000,
  wake1: DEFAULT_SIM_COSTS.wakeMs[1] / 1000,
  wake2: DEFAULT_SIM_COSTS.wakeMs[2] / 1000,
};

const PHASE_NAMES: Record<PhaseKey, string> = {
  start: "cold start",
  sleep1: "level-1 sleep",
  sleep2: "level-2 sleep",
  wake1: "level-1 wake",
  wake2: "level-2 wake",
};

/** Per request from the engines' event log, per switch from llmux's switch log. */
export function liveMeasures(run: LiveRun, tokensPerSec: number): LiveMeasures {
  const tokensOf = new Map(run.outcomes.map((outcome) => [outcome.requestId, outcome.tokens]));
  const started = new Map<string, { t: number; cold: boolean }>();
  const warm: number[] = [];
  let coldRequests = 0;
  for (const event of run.events) {
    const id = event.request_id;
    if (id === undefined) continue;
    if (event.event === "request_start") started.set(id, { t: event.t, cold: (event as { cold?: boolean }).cold === true });
    const start = started.get(id);
    const tokens = tokensOf.get(id);
    if (event.event !== "request_end" || event.outcome !== "completed" || !start || tokens === undefined) continue;
    if (start.cold) coldRequests++;
    else warm.push((event.t - start.t) / (DEFAULT_SIM_SERVICE.ttftMs / SCALE + (tokens / tokensPerSec) * 1000));
  }
  const seen: Record<PhaseKey, number[]> = { start: [], sleep1: [], sleep2: [], wake1: [], wake2: [] };
  for (const line of run.switchLog) {
    for (const phase of line.phases as { phase: string; level: number | null; duration_ms: number; ok: boolean }[]) {
      const key = (phase.phase === "start" ? "start" : `${phase.phase}${phase.level}`) as PhaseKey;
      if (phase.ok && key in seen) seen[key].push((phase.duration_ms / 1000) * SCALE);
    }
  }
  return {
    decodeRatioP50: percentile(warm, 50),
    decodeRatioMax: Math.max(0, ...warm),
    coldRequests,
    phases: Object.fromEntries(Object.entries(seen).map(([key, values]) => [key, values.length === 0 ? undefined : mean(values)])) as LiveMeasures["phases"],
  };
}

/** Rows for the side-by-side table: the simulator's assumption against what the live run measured. */
export function measureRows(measures: LiveMeasures): Row[] {
  const rows: Row[] = [
    {
      metric: "request time in the engine ÷ configured (p50, warm)",
      unit: "×",
      values: { simulated: 1, "simulated, live costs": 1, live: measures.decodeRatioP50 },
      digits: 2,
    },
    {
      metric: "request time in the engine ÷ configured (max, warm)",
      unit: "×",
      values: { simulated: 1, "simulated, live costs": 1, live: measures.decodeRatioMax },
      digits: 2,
    },
  ];
  for (const key of Object.keys(PHASE_NAMES) as PhaseKey[]) {
    const live = measures.phases[key];
    if (live !== undefined)
      rows.push({
        metric: `${PHASE_NAMES[key]} (mean)`,
        unit: "s",
        values: { simulated: CONFIGURED_PHASES[key], "simulated, live costs": live, live },
        digits: 2,
      });
  }
  return rows;
}

/** The live run's measured phases as the trace simulator's costs (a phase the run did not see keeps the default). */
export function measuredCosts(measures: LiveMeasures): SimEngineCostsInput {
  const ms = (key: PhaseKey) => (measures.phases[key] ?? CONFIGURED_PHASES[key]) * 1000;
  return { startMs: ms("start"), sleepMs: { 1: ms("sleep1"), 2: ms("sleep2") }, wakeMs: { 1: ms("wake1"), 2: ms("wake2") } };
}
