import type { SimEngine } from "./sim-engine.js";

/** The `GET /_sim/stats` body (docs/internal-contracts.md, plus a few extra fields). */
export function engineStats(engine: SimEngine, model: string): Record<string, unknown> {
  return {
    model,
    pid: process.pid,
    sleeping: engine.isSleeping,
    sleep_level: engine.sleepLevel,
    sleeping_tags: [...engine.sleepingTags],
    paused: engine.isPaused,
    garbage_weights: engine.garbageWeights,
    requests: {
      total: engine.counts.total,
      running: engine.running.size,
      waiting: engine.gate.waiting,
      completed: engine.counts.completed,
      cancelled: engine.counts.cancelled,
      failed: engine.counts.failed,
    },
    sleeps: engine.counts.sleeps,
    wakes: engine.counts.wakes,
    reloads: engine.counts.reloads,
    faults: engine.faults.snapshot(),
  };
}
