import type { MuxEvent } from "@llmux/core";
import type { ProxyMetrics } from "./metrics.js";

/** Feed one multiplexer event into the metrics. */
export function recordMuxEvent(metrics: ProxyMetrics, event: MuxEvent): void {
  switch (event.type) {
    case "switch-end": {
      const { record } = event;
      // Several models may be put away for one switch; they share one label, sorted for stable series.
      const from = [...record.from].sort().join(",");
      metrics.observeSwitch({ trigger: record.trigger, from, to: record.to ?? "", result: record.result, durationSecs: record.durationMs / 1000 });
      for (const phase of record.phases) metrics.observePhase(phase.phase, phase.model, phase.durationMs / 1000);
      return;
    }
    case "escalation":
      metrics.countEscalation(event.model);
      return;
    case "restart":
      metrics.countRestart(event.model);
      return;
    case "paused":
      metrics.preemption.paused(event.model, event.requests.length);
      return;
    case "resumed":
      metrics.preemption.resumed(event.model, event.pausedMs / 1000);
      return;
    default:
      return;
  }
}
