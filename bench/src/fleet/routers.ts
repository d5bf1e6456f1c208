import type { PodMetrics } from "./picker-rules.js";

/**
 * TEST-ONLY routers for the fleet comparison. `metricPicker` follows the
 * Inference Extension's (v1.5.0) scheduling of a request from scraped
 * metrics: every pod is scored by `lora-affinity-scorer` and `queue-scorer`,
 * the weighted scores are summed, and `max-score-picker` takes the highest,
 * ties broken at random. It is a fixture to measure llmux's metrics with,
 * never a router to deploy.
 */
export interface Router {
  readonly name: string;
  pick(model: string): number;
}

export function roundRobin(pods: number): Router {
  let next = 0;
  return {
    name: "round-robin",
    pick: () => {
      const pod = next;
      next = (next + 1) % pods;
      return pod;
    },
  };
}

/** FNV-1a of the model name, modulo the pod count: each model always on the same pod. */
export function modelHash(pods: number): Router {
  return {
    name: "model-hash",
    pick: (model) => {
      let hash = 0x811c9dc5;
      for (const char of model) {
        hash ^= char.charCodeAt(0);
        hash = Math.imul(hash, 0x01000193) >>> 0;
      }
      return hash % pods;
    },
  };
}

/** lora-affinity-scorer: 1 awake, 0.8 room to wake it, 0.6 already waiting for it, else 0. */
export function affinityScore(metrics: PodMetrics, model: string): number {
  if (metrics.activeModels.has(model)) return 1;
  if (metrics.activeModels.size + metrics.waitingModels.size < metrics.maxActiveModels) return 0.8;
  if (metrics.waitingModels.has(model)) return 0.6;
  return 0;
}

/** queue-scorer: the shortest queue scores 1, the longest 0, linear between; all equal score 1. */
export function queueScores(all: readonly PodMetrics[]): number[] {
  const queues = all.map((metrics) => metrics.waitingQueueSize);
  const min = Math.min(...queues);
  const max = Math.max(...queues);
  return queues.map((queue) => (max === min ? 1 : (max - queue) / (max - min)));
}

export interface MetricPickerOptions {
  /** The latest metrics of each pod (the picker's view; empty metrics for a pod not scraped yet). */
  metrics: () => readonly PodMetrics[];
  affinityWeight: number;
  queueWeight: number;
  random: () => number;
}

export function metricPicker(options: MetricPickerOptions): Router {
  return {
    name: "metric picker",
    pick: (model) => {
      const all = options.metrics();
      const queue = queueScores(all);
      const scores = all.map((metrics, pod) => options.affinityWeight * affinityScore(metrics, model) + options.queueWeight * (queue[pod] ?? 0));
      const best = Math.max(...scores);
      const tied = scores.flatMap((score, pod) => (score === best ? [pod] : []));
      return tied[Math.floor(options.random() * tied.length)] ?? 0;
    },
  };
}

export function emptyPodMetrics(): PodMetrics {
  return { waitingQueueSize: 0, runningRequestsSize: 0, kvCacheUsagePercent: 0, activeModels: new Set(), waitingModels: new Set(), maxActiveModels: 0 };
}
