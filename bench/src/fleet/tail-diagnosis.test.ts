import { describe, expect, it } from "vitest";
import type { PodMetrics } from "./picker-rules.js";
import { emptyPodMetrics } from "./routers.js";
import { PodLogs, byPickView, diagnoseTail } from "./tail-diagnosis.js";

function pod(active: string[], waiting: string[] = [], queue = 0): PodMetrics {
  return { ...emptyPodMetrics(), activeModels: new Set(active), waitingModels: new Set(waiting), waitingQueueSize: queue, maxActiveModels: 1 };
}

const view = [pod(["a"]), pod(["b"], ["c"], 1)];
const scorers = [{ type: "lora-affinity-scorer" as const, weight: 4 }];

describe("the fleet's tail diagnosis", () => {
  it("keeps a pod's switch lines and the requests sent to it, in the slowest request's window", () => {
    const logs = new PodLogs(2);
    logs.add(1, JSON.stringify({ time: 10_900, msg: "switch 3: b -> c", switch_id: 3, reason: "max_wait bound" }));
    logs.add(1, JSON.stringify({ time: 10_950, msg: "b: awake -> draining", from: "awake", to: "draining" }));
    logs.add(1, "not json");
    logs.add(1, JSON.stringify({ time: 99_000, msg: "switch 4: c -> b", switch_id: 4 }));
    logs.add(0, JSON.stringify({ time: 10_900, msg: "switch 1: a -> d", switch_id: 1 }));
    logs.picked(1, 10_500, "c");
    const timed = [
      { t: 1, model: "a", pod: 0, ms: 100, pick: { at: 10_000, view, scrapedAt: [9_950, 9_900] } },
      { t: 2, model: "c", pod: 1, ms: 2_000, pick: { at: 10_000, view, scrapedAt: [9_950, 9_900] } },
    ];
    const [slowest, ...rest] = diagnoseTail(timed, logs, scorers);
    expect(rest).toEqual([]);
    expect(slowest?.model).toBe("c");
    // Affinity for c: 0 where another model runs and nothing waits for c, 0.6 where c is waited for.
    expect(slowest?.pods).toEqual([
      "pod 0: running a waiting - queue 0 running-requests 0 score 0.00, scraped 50 ms before",
      "pod 1: running b waiting c queue 1 running-requests 0 score 2.40, scraped 100 ms before",
    ]);
    expect(slowest?.events).toEqual(["+500 ms picked for c", "+900 ms switch 3: b -> c (max_wait bound)"]);
  });

  it("groups latency by what the view showed for the model at the pick", () => {
    const pick = { at: 0, view, scrapedAt: [0, 0] };
    const lines = byPickView([
      { model: "a", ms: 10, pick },
      { model: "a", ms: 30, pick },
      { model: "c", ms: 900, pick },
      { model: "z", ms: 2_000, pick },
    ]);
    expect(lines).toEqual([
      "awake somewhere: 2 requests, p50 30 ms, p99 30 ms, slowest 30 ms",
      "waited for somewhere: 1 requests, p50 900 ms, p99 900 ms, slowest 900 ms",
      "nowhere (a stray): 1 requests, p50 2000 ms, p99 2000 ms, slowest 2000 ms",
    ]);
  });
});
