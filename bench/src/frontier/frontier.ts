import type { PolicyResult } from "@llmux/core";
import { type GridMember, drainOnlyTwin, memberLabel } from "./policy-grid.js";

/** The issues' targets on busy traces. */
export const TARGETS = {
  /** #17: the best policy's p99 latency ≤ this × fifo's … */
  p99: 0.6,
  /** … and its switches ≤ this × fifo's. */
  switches: 0.8,
  /** #18: other models' p99 with pausing ≤ this × drain-only's … */
  other: 0.5,
  /** … with GPU time ≤ this × drain-only's. */
  gpu: 1.05,
} as const;

/** What the frontier reads of one run. */
export type RunFigures = Pick<PolicyResult, "latencyP99" | "switches" | "switchedLatencyP99" | "gpuBusySecs" | "served" | "failed" | "refused" | "requests">;

/** One member's run on one trace. */
export interface MemberRun {
  member: GridMember;
  figures: RunFigures;
}

/** A ratio and the member that reached it. */
export interface Best {
  ratio: number;
  label: string;
}

/** The best-in-hindsight on one trace. */
export interface TraceFrontier {
  /** Lowest p99 ÷ fifo's, and its switches ÷ fifo's. */
  p99: Best & { switches: number };
  /** Fewest switches ÷ fifo's, and its p99 ÷ fifo's. */
  switches: Best & { p99: number };
  /** Lowest p99 ÷ fifo's among members within the switches target; null when none is. */
  p99WithinSwitches: Best | null;
  /** Members meeting both #17 targets on this trace. */
  meetingBoth: string[];
  /** Lowest other-models p99 ÷ the drain-only twin's among pausing members within the GPU limit; null when none paused within it. */
  other: (Best & { gpu: number }) | null;
  /** Pausing members meeting #18 on this trace. */
  meetingOther: string[];
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : a > 0 ? Infinity : 1);

/** The best of `runs` against `fifo` on one trace (hindsight: every member is looked at on the trace it is judged on). */
export function traceFrontier(fifo: RunFigures, runs: readonly MemberRun[]): TraceFrontier {
  if (!runs.some((run) => run.figures.failed === 0)) throw new Error("no run without losses");
  for (const run of [{ figures: fifo }, ...runs]) {
    const f = run.figures;
    if (f.served + f.failed + f.refused !== f.requests) throw new Error(`accounting is not exact: ${f.served} + ${f.failed} + ${f.refused} ≠ ${f.requests}`);
  }
  // A member that loses requests (cut off, timed out) is no candidate: its p99 leaves them out.
  const scored = runs
    .filter((run) => run.figures.failed === 0)
    .map((run) => ({
      run,
      label: memberLabel(run.member),
      p99: ratio(run.figures.latencyP99, fifo.latencyP99),
      switches: ratio(run.figures.switches, fifo.switches),
    }));
  const byP99 = scored.reduce((best, each) => (each.p99 < best.p99 || (each.p99 === best.p99 && each.switches < best.switches) ? each : best));
  const bySwitches = scored.reduce((best, each) => (each.switches < best.switches || (each.switches === best.switches && each.p99 < best.p99) ? each : best));
  const fewer = scored.filter((each) => each.switches <= TARGETS.switches);
  const p99WithinSwitches = fewer.length === 0 ? null : fewer.reduce((best, each) => (each.p99 < best.p99 ? each : best));
  const meetingBoth = scored.filter((each) => each.p99 <= TARGETS.p99 && each.switches <= TARGETS.switches).map((each) => each.label);
  const byLabel = new Map(scored.map((each) => [each.label, each.run]));
  const others = scored.flatMap((each) => {
    if (each.run.member.pause.kind === "drain") return [];
    const twin = byLabel.get(memberLabel(drainOnlyTwin(each.run.member)));
    if (!twin) return [];
    const gpu = ratio(each.run.figures.gpuBusySecs, twin.figures.gpuBusySecs);
    return gpu <= TARGETS.gpu ? [{ label: each.label, ratio: ratio(each.run.figures.switchedLatencyP99, twin.figures.switchedLatencyP99), gpu }] : [];
  });
  const other = others.length === 0 ? null : others.reduce((best, each) => (each.ratio < best.ratio ? each : best));
  return {
    p99: { ratio: byP99.p99, label: byP99.label, switches: byP99.switches },
    switches: { ratio: bySwitches.switches, label: bySwitches.label, p99: bySwitches.p99 },
    p99WithinSwitches: p99WithinSwitches && { ratio: p99WithinSwitches.p99, label: p99WithinSwitches.label },
    meetingBoth,
    other,
    meetingOther: others.filter((each) => each.ratio <= TARGETS.other).map((each) => each.label),
  };
}

/** Members that meet a target on every trace: a rule, not a per-trace choice. */
export function onEveryTrace(frontiers: readonly TraceFrontier[], pick: (frontier: TraceFrontier) => readonly string[]): string[] {
  const [first, ...rest] = frontiers;
  if (!first) return [];
  return pick(first).filter((label) => rest.every((frontier) => pick(frontier).includes(label)));
}
