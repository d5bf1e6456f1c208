import type { ProxyMetrics, SwitchPhase } from "./metrics.js";

/**
 * The multiplexer events the metrics read (a structural subset of core's
 * `MuxEvent`; other event types are ignored).
 */
export type MetricsMuxEvent =
  | {
      type: "switch-end";
      record: {
        from: string[];
        to: string;
        durationMs: number;
        result: string;
        phases: { phase: string; model: string; durationMs: number }[];
      };
    }
  | { type: "escalation"; model: string }
  | { type: "restart"; model: string }
  | { type: string };

const PHASES: ReadonlySet<string> = new Set<SwitchPhase>(["drain", "sleep", "stop", "wake", "start"]);

/** Feed one multiplexer event into the metrics. */
export function recordMuxEvent(metrics: ProxyMetrics, event: MetricsMuxEvent): void {
  switch (event.type) {
    case "switch-end": {
      const { record } = event as Extract<MetricsMuxEvent, { type: "switch-end" }>;
      // Several models may be put away for one switch; they share one label, sorted for stable series.
      const from = [...record.from].sort().join(",");
      metrics.observeSwitch({ from, to: record.to, result: record.result, durationSecs: record.durationMs / 1000 });
      for (const phase of record.phases) {
        if (PHASES.has(phase.phase)) metrics.observePhase(phase.phase as SwitchPhase, phase.model, phase.durationMs / 1000);
      }
      return;
    }
    case "escalation":
      metrics.countEscalation((event as { model: string }).model);
      return;
    case "restart":
      metrics.countRestart((event as { model: string }).model);
      return;
    default:
      return;
  }
}
