import type { PodMetrics } from "./picker-rules.js";

/**
 * TEST-ONLY routers for the fleet comparison. `metricPicker` follows the
 * Inference Extension's (v1.5.0) scheduling profile on scraped metrics, in
 * its order: filters (none in llmux's profile), then every scorer scores
 * every pod in [0, 1], the scores are summed by weight, and
 * `max-score-picker` takes the highest, ties broken at random. It is a
 * fixture to measure llmux's metrics with, never a router to deploy.
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

/** queue-scorer and running-requests-size-scorer: the smallest value scores 1, the largest 0, linear between; all equal score 1. */
function lowestFirst(values: readonly number[]): number[] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return values.map((value) => (max === min ? 1 : (max - value) / (max - min)));
}

export function queueScores(all: readonly PodMetrics[]): number[] {
  return lowestFirst(all.map((metrics) => metrics.waitingQueueSize));
}

/** The scorers of the picker's (v1.5.0) scheduling profile that read the model server protocol's metrics. */
const SCORERS = {
  "lora-affinity-scorer": (all: readonly PodMetrics[], model: string) => all.map((metrics) => affinityScore(metrics, model)),
  "queue-scorer": (all: readonly PodMetrics[]) => queueScores(all),
  "running-requests-size-scorer": (all: readonly PodMetrics[]) => lowestFirst(all.map((metrics) => metrics.runningRequestsSize)),
  "kv-cache-utilization-scorer": (all: readonly PodMetrics[]) => all.map((metrics) => 1 - metrics.kvCacheUsagePercent),
} satisfies Record<string, (all: readonly PodMetrics[], model: string) => number[]>;

export type ScorerType = keyof typeof SCORERS;

export function isScorerType(type: string): type is ScorerType {
  return Object.hasOwn(SCORERS, type);
}

export interface WeightedScorer {
  type: ScorerType;
  weight: number;
}

export interface MetricPickerOptions {
  /** The latest metrics of each pod (the picker's view; empty metrics for a pod not scraped yet). */
  metrics: () => readonly PodMetrics[];
  /** The scheduling profile's scorers with their weights. */
  scorers: readonly WeightedScorer[];
  random: () => number;
}

/** Every pod's weighted score for a request for `model`. */
export function scorePods(all: readonly PodMetrics[], model: string, scorers: readonly WeightedScorer[]): number[] {
  const scores = all.map(() => 0);
  for (const scorer of scorers) {
    // The picker clamps every scorer's value to [0, 1] before weighing it.
    SCORERS[scorer.type](all, model).forEach((score, pod) => {
      scores[pod] = (scores[pod] ?? 0) + Math.min(1, Math.max(0, score)) * scorer.weight;
    });
  }
  return scores;
}

export function metricPicker(options: MetricPickerOptions): Router {
  return {
    name: "metric picker",
    pick: (model) => {
      const scores = scorePods(options.metrics(), model, options.scorers);
      const best = Math.max(...scores);
      const tied = scores.flatMap((score, pod) => (score === best ? [pod] : []));
      return tied[Math.floor(options.random() * tied.length)] ?? 0;
    },
  };
}

export function emptyPodMetrics(): PodMetrics {
  return { waitingQueueSize: 0, runningRequestsSize: 0, kvCacheUsagePercent: 0, activeModels: new Set(), waitingModels: new Set(), maxActiveModels: 0 };
}
