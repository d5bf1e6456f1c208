import { afterEach, describe, expect, it } from "vitest";
import type { Lease } from "../src/lease.js";
import { timeSlicePolicy } from "../src/policies/time-slice.js";
import { expectCode, finish, harness, makeConfig, track, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  if (h) await finish(h);
  h = undefined;
});

/** Serve `count` requests for `model` one after another, each holding its lease `heldMs`: llmux measures the lease time. */
async function serve(hh: Harness, model: string, count: number, heldMs: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const lease = track(hh.mux.acquire(model));
    await hh.clock.settle();
    while (!lease.settled) await hh.clock.advance(100);
    await hh.clock.advance(heldMs);
    lease.value?.release();
    await hh.clock.settle();
  }
}

const rejections = (hh: Harness) => hh.events.filter((event) => event.type === "rejected");
const queuedEvents = (hh: Harness) => hh.events.filter((event) => event.type === "queued").length;

describe("refusal when the estimated wait exceeds what a request may wait", () => {
  // One request in vLLM at once, each held 10 s: the n-th place in the queue waits about n × 10 s.
  const config = (policy: Record<string, unknown> = {}) =>
    makeConfig({ policy: { request_timeout_secs: 60, overload_refusal: "timeout", ...policy } }, ["a", "b"], { max_concurrency: 1 });

  it("never refuses before it has measured: a cold llmux queues every request", async () => {
    h = harness({ config: config() });
    const held = track(h.mux.acquire("a"));
    const queued = Array.from({ length: 12 }, () => track(h?.mux.acquire("a") as Promise<Lease>));
    await h.clock.settle();
    expect(queued.some((request) => request.settled)).toBe(false);
    expect(rejections(h)).toEqual([]);
    await h.clock.advance(6_000);
    expect(held.settled).toBe(true);
    held.value?.release();
  });

  it("answers 429 at once with Retry-After from the estimate, before any engine work; admitted requests keep their bound", async () => {
    const hh = harness({ config: config() });
    h = hh;
    await serve(hh, "a", 20, 10_000);
    const engines = hh.engines.get("a")?.length;
    const running = track(hh.mux.acquire("a"));
    await hh.clock.settle();
    expect(running.settled).toBe(true);
    // Places 1..6 are estimated at 10..60 s: within request_timeout_secs.
    const admitted = Array.from({ length: 6 }, () => ({ at: hh.clock.now(), request: track(hh.mux.acquire("a")) }));
    const queuedBefore = queuedEvents(hh);
    const refusedAt = hh.clock.now();
    const refused = await expectCode(hh.mux.acquire("a"), "LLMUX_ERR_OVERLOADED");
    // Refused without time passing, never queued, no engine started or woken for it.
    expect(hh.clock.now()).toBe(refusedAt);
    expect(queuedEvents(hh)).toBe(queuedBefore);
    expect(hh.engines.get("a")?.length).toBe(engines);
    expect(refused.status).toBe(429);
    expect(refused.message).toContain("estimated wait is 70.0 s (7 requests ahead at 10.0 s each, 1 at once), over request_timeout_secs of 60.0 s");
    // Retry-After: how far the estimate is over the bound, when the queue ahead will have shrunk enough.
    expect(refused.retryAfterSecs).toBe(10);
    expect(rejections(hh).map((event) => event.type === "rejected" && event.code)).toEqual(["LLMUX_ERR_OVERLOADED"]);

    // The admitted ones go in one by one as each lease ends after 10 s: each within the 60 s it may wait.
    running.value?.release();
    for (const { at, request } of admitted) {
      await hh.clock.settle();
      expect(request.settled).toBe(true);
      expect(request.error).toBeUndefined();
      expect(hh.clock.now() - at).toBeLessThanOrEqual(60_000);
      await hh.clock.advance(10_000);
      request.value?.release();
    }
    expect(rejections(hh)).toHaveLength(1);
  });

  it("never refuses a paused request that resumes", async () => {
    const hh = harness({ config: config() });
    h = hh;
    await serve(hh, "a", 20, 10_000);
    const running = track(hh.mux.acquire("a"));
    const waiting = Array.from({ length: 6 }, () => track(hh.mux.acquire("a")));
    await hh.clock.settle();
    await expectCode(hh.mux.acquire("a"), "LLMUX_ERR_OVERLOADED");
    const now = hh.clock.now();
    const resumed = track(hh.mux.acquire("a", { resume: { arrivedAt: now - 30_000, pausedAt: now - 1_000, preemptions: 1 } }));
    await hh.clock.settle();
    expect(resumed.error).toBeUndefined();
    // It goes to the head of the queue: first in when the running lease ends.
    running.value?.release();
    await hh.clock.settle();
    expect(resumed.settled).toBe(true);
    resumed.value?.release();
    for (const request of waiting) {
      await hh.clock.advance(1_000);
      request.value?.release();
    }
  });

  it("refuses nothing with overload_refusal off", async () => {
    const hh = harness({ config: config({ overload_refusal: "off" }) });
    h = hh;
    await serve(hh, "a", 20, 10_000);
    const running = track(hh.mux.acquire("a"));
    const waiting = Array.from({ length: 8 }, () => track(hh.mux.acquire("a")));
    await hh.clock.settle();
    expect(rejections(hh)).toEqual([]);
    running.value?.release();
    for (const request of waiting) {
      await hh.clock.settle();
      request.value?.release();
    }
  });

  it("with overload_refusal bound, holds a request to time_slice's bound (max_wait_secs while its model is awake)", async () => {
    const hh = harness({ config: config({ overload_refusal: "bound", policy_type: "time_slice", max_wait_secs: 20 }), policy: timeSlicePolicy });
    h = hh;
    await serve(hh, "a", 20, 10_000);
    const running = track(hh.mux.acquire("a"));
    const waiting = [track(hh.mux.acquire("a"))];
    await hh.clock.settle();
    // Place 2 is estimated at 20 s: within; place 3 at 30 s: over by 10 s.
    waiting.push(track(hh.mux.acquire("a")));
    const refused = await expectCode(hh.mux.acquire("a"), "LLMUX_ERR_OVERLOADED");
    expect(refused.message).toContain("over time_slice's bound of 20.0 s");
    expect(refused.retryAfterSecs).toBe(10);
    running.value?.release();
    for (const request of waiting) {
      await hh.clock.settle();
      expect(request.settled).toBe(true);
      request.value?.release();
    }
  });
});
