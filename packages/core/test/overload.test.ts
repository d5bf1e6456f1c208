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

/** Each of `requests` in turn goes in without error (the clock stepping `stepMs`), holds its lease `heldMs` and releases it. */
async function holdInTurn(hh: Harness, requests: ReturnType<typeof track<Lease>>[], stepMs: number, heldMs: number, completionTokens?: number): Promise<void> {
  for (const request of requests) {
    while (!request.settled) await hh.clock.advance(stepMs);
    expect(request.error).toBeUndefined();
    await hh.clock.advance(heldMs);
    request.value?.release(completionTokens === undefined ? undefined : { completionTokens });
  }
}

const rejections = (hh: Harness) => hh.events.filter((event) => event.type === "rejected");
const queuedEvents = (hh: Harness) => hh.events.filter((event) => event.type === "queued").length;

describe("refusal when the estimated wait exceeds what a request may wait", () => {
  // One request in vLLM at once, each held 10 s: the n-th place in the queue waits about n × 10 s.
  const config = (policy: Record<string, unknown> = {}) =>
    makeConfig({ policy: { request_timeout_secs: 60, overload_refusal: "timeout", ...policy } }, ["a", "b"], { max_concurrency: 1 });

  it("plans a cold llmux with each request's max_tokens at the configured decode rate", async () => {
    h = harness({ config: config() });
    // 400 tokens at the default 40 tokens/s: 10 s each, one at once.
    const held = track(h.mux.acquire("a", { maxTokens: 400 }));
    while (!held.settled) await h.clock.advance(100);
    const queued = Array.from({ length: 5 }, () => track(h?.mux.acquire("a", { maxTokens: 400 }) as Promise<Lease>));
    await h.clock.settle();
    // Places 1..5 go in after 10..50 s; place 6 would after 60 s (the limit, kept), place 7 after 70 s: over by 10 s.
    const sixth = track(h.mux.acquire("a", { maxTokens: 400 }));
    const refused = await expectCode(h.mux.acquire("a", { maxTokens: 400 }), "LLMUX_ERR_OVERLOADED");
    expect(refused.message).toContain("estimated wait is 70.0 s");
    expect(refused.retryAfterSecs).toBe(10);
    // The queued ones carry the wait they were promised: request_timeout_secs.
    expect(h.events.filter((event) => event.type === "queued").map((event) => event.type === "queued" && event.promisedMs)).toEqual(Array(7).fill(60_000));
    // Each generation ends within its estimate: every queued one goes in within the 60 s it was promised.
    for (const request of [held, ...queued, sixth]) {
      await h.clock.settle();
      expect(request.error).toBeUndefined();
      expect(request.settled).toBe(true);
      await h.clock.advance(9_900);
      request.value?.release();
    }
  });

  it("counts the other model's turn: a request that cannot finish before the planned switch waits a round", async () => {
    const hh = harness({ config: config({ policy_type: "time_slice", max_wait_secs: 20 }), policy: timeSlicePolicy });
    h = hh;
    const running = track(hh.mux.acquire("a", { maxTokens: 400 }));
    while (!running.settled) await hh.clock.advance(100);
    // b is due in 20 s: a admits only what ends by then. A 2,000-token request (50 s) would wait for a's next turn:
    // the rest of a's turn, a's sleep, b's cold start (the 60 s prior: never measured), b's turn, a's wake: over 100 s.
    const other = track(hh.mux.acquire("b", { maxTokens: 400 }));
    await hh.clock.settle();
    const refused = await expectCode(hh.mux.acquire("a", { maxTokens: 2_000 }), "LLMUX_ERR_OVERLOADED");
    expect(refused.message).toContain("over request_timeout_secs of 60.0 s");
    expect(Number(/estimated wait is ([\d.]+) s/.exec(refused.message)?.[1])).toBeGreaterThan(100);
    // A short one fits the turn and joins.
    const short = track(hh.mux.acquire("a", { maxTokens: 40 }));
    await hh.clock.settle();
    expect(short.error).toBeUndefined();
    await holdInTurn(hh, [running, short, other], 1_000, 1_000);
  });

  it("plans a request without max_tokens at the longest output seen, not the 90th percentile", async () => {
    const hh = harness({ config: config() });
    h = hh;
    // 20 answers at 25 ms a token: 19 of 100 tokens (the 90th percentile, 2.5 s) and one of 1,000 (25 s).
    for (let i = 0; i < 20; i++) {
      const lease = track(hh.mux.acquire("a"));
      while (!lease.settled) await hh.clock.advance(100);
      const tokens = i === 7 ? 1_000 : 100;
      await hh.clock.advance(tokens * 25);
      lease.value?.release({ completionTokens: tokens });
      await hh.clock.settle();
    }
    // One running and one queued may each run 25 s: a new request goes in within 50 s of the 60 it may wait.
    const running = track(hh.mux.acquire("a"));
    await hh.clock.settle();
    const queued = track(hh.mux.acquire("a"));
    const third = track(hh.mux.acquire("a"));
    await hh.clock.settle();
    expect(third.error).toBeUndefined();
    // The next one would go in after 75 s: at the 90th percentile it would have been planned at 7.5 s and let in.
    const refused = await expectCode(hh.mux.acquire("a"), "LLMUX_ERR_OVERLOADED");
    expect(Number(/estimated wait is ([\d.]+) s/.exec(refused.message)?.[1])).toBeCloseTo(75, -1);
    await holdInTurn(hh, [running, queued, third], 100, 2_500, 100);
  });

  it("refuses a request whose turn would push a request already queued past its promise", async () => {
    const hh = harness({ config: config({ policy_type: "time_slice", max_wait_secs: 20, request_timeout_secs: 200 }), policy: timeSlicePolicy });
    h = hh;
    const running = track(hh.mux.acquire("a", { maxTokens: 400 }));
    while (!running.settled) await hh.clock.advance(100);
    // b is due in 20 s; a's 2,000-token request (50 s) waits for a's next turn: a's sleep (the 10 s prior), b's cold
    // start (60 s), b's turn, b's sleep, a's wake: in at about 111 s with b's 10 s request, within the 200 s promised.
    const first = track(hh.mux.acquire("b", { maxTokens: 400 }));
    const deferred = track(hh.mux.acquire("a", { maxTokens: 2_000 }));
    await hh.clock.settle();
    // Each 50 s request for b joins b's turn ahead of it: one more keeps the deferred one at about 161 s.
    const second = track(hh.mux.acquire("b", { maxTokens: 2_000 }));
    await hh.clock.settle();
    expect(second.error).toBeUndefined();
    // Another would wait only 150 s itself, but would put the deferred one in at about 211 s: refused.
    const refused = await expectCode(hh.mux.acquire("b", { maxTokens: 2_000 }), "LLMUX_ERR_OVERLOADED");
    expect(refused.message).toContain("later than it was promised");
    await holdInTurn(hh, [running, first, second, deferred], 1_000, 1_000);
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

  it("with overload_refusal bound, holds a request to time_slice's bound: max_wait_secs + K × (longest generation + longest switch)", async () => {
    const hh = harness({
      config: config({ overload_refusal: "bound", policy_type: "time_slice", max_wait_secs: 20, request_timeout_secs: 600 }),
      policy: timeSlicePolicy,
    });
    h = hh;
    await serve(hh, "a", 20, 10_000);
    // One model with work (K = 1), generations of 10 s (the measured lease p90), a switch of 11 s (the sleep and wake
    // priors: a never slept): the bound is 20 + 1 × (10 + 11) = 41 s. Place n waits n × 10 s.
    const running = track(hh.mux.acquire("a"));
    await hh.clock.settle();
    const waiting = Array.from({ length: 4 }, () => ({ at: hh.clock.now(), request: track(hh.mux.acquire("a")) }));
    await hh.clock.settle();
    const refused = await expectCode(hh.mux.acquire("a"), "LLMUX_ERR_OVERLOADED");
    expect(refused.message).toContain("estimated wait is 50.0 s");
    expect(refused.message).toContain("over time_slice's bound of 41.0 s");
    expect(refused.retryAfterSecs).toBe(9);
    const promised = hh.events.flatMap((event) => (event.type === "queued" && event.promisedMs !== undefined ? [event.promisedMs] : []));
    expect(promised.slice(-4)).toEqual([41_000, 41_000, 41_000, 41_000]);
    // Each admitted one goes in within the 41 s it was promised.
    await hh.clock.advance(10_000);
    running.value?.release();
    for (const { at, request } of waiting) {
      await hh.clock.settle();
      expect(request.settled).toBe(true);
      expect(hh.clock.now() - at).toBeLessThanOrEqual(41_000);
      await hh.clock.advance(10_000);
      request.value?.release();
    }
  });
});
