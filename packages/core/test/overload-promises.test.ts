import { afterEach, describe, expect, it } from "vitest";
import type { Lease } from "../src/lease.js";
import { timeSlicePolicy } from "../src/policies/time-slice.js";
import { expectCode, finish, harness, makeConfig, track, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  if (h) await finish(h);
  h = undefined;
});

/**
 * Each case is one way an admitted request went in later than it was
 * promised on the overload traces (packages/core/README.md, "Overload"):
 * the wait plan and what llmux then did disagreed.
 */
describe("admitted requests go in within their promise", () => {
  // time_slice with max_wait_secs 20: a request for a model not awake makes it due 20 s after it arrived.
  const config = (models: string[], maxConcurrency: number, timeoutSecs: number) =>
    makeConfig({ policy: { policy_type: "time_slice", max_wait_secs: 20, request_timeout_secs: timeoutSecs, overload_refusal: "timeout" } }, models, {
      max_concurrency: maxConcurrency,
    });

  /** Step the clock until `request` settles; returns when it did. */
  async function settleOf(hh: Harness, request: ReturnType<typeof track<Lease>>, stepMs = 500): Promise<number> {
    while (!request.settled) await hh.clock.advance(stepMs);
    return hh.clock.now();
  }

  it("lets a request in while another model is due only if its longest output ends before the switch", async () => {
    const hh = harness({ config: config(["a", "b"], 4, 200), policy: timeSlicePolicy });
    h = hh;
    // a's holders report 100 tokens 19 times and 1,000 once, at 25 ms a token: 2.5 s at the 90th percentile, 25 s at most.
    for (let i = 0; i < 20; i++) {
      const lease = track(hh.mux.acquire("a"));
      await settleOf(hh, lease, 100);
      const tokens = i === 7 ? 1_000 : 100;
      await hh.clock.advance(tokens * 25);
      lease.value?.release({ completionTokens: tokens });
      await hh.clock.settle();
    }
    const running = track(hh.mux.acquire("a", { maxTokens: 400 }));
    await settleOf(hh, running, 100);
    // b is due in 20 s. A request for a without max_tokens ends by then at the 90th percentile, not at its longest:
    // let in, it could hold a's turn 25 s, past the switch every promise was planned on.
    const other = track(hh.mux.acquire("b", { maxTokens: 400 }));
    await hh.clock.settle();
    const unbounded = track(hh.mux.acquire("a"));
    await hh.clock.advance(1_000);
    expect(unbounded.settled).toBe(false);
    // It waits for a's next turn, after b's, and goes in within the 200 s it was promised.
    const arrived = hh.clock.now() - 1_000;
    await hh.clock.advance(9_000);
    running.value?.release();
    const otherIn = await settleOf(hh, other);
    await hh.clock.advance(10_000);
    other.value?.release();
    const unboundedIn = await settleOf(hh, unbounded);
    expect(unbounded.error).toBeUndefined();
    expect(unboundedIn).toBeGreaterThan(otherIn);
    expect(unboundedIn - arrived).toBeLessThanOrEqual(200_000);
    unbounded.value?.release();
  });

  it("plans the models in time_slice's due order: a model whose requests are younger can be due first", async () => {
    const hh = harness({ config: config(["a", "b", "c"], 4, 150), policy: timeSlicePolicy });
    h = hh;
    const running = track(hh.mux.acquire("a", { maxTokens: 400 }));
    await settleOf(hh, running, 100);
    const older = track(hh.mux.acquire("b", { maxTokens: 400 }));
    const arrived = hh.clock.now();
    await hh.clock.advance(5_000);
    // A request for c would be due at once: its due time counts a switch for b, whose request is older (a's sleep, 10 s,
    // and c's cold start, 60 s, the priors), and b's only comes 20 s after its request. So c would go first, in at
    // about 75 s, and b at about 160 s, past the 150 s it was promised: refused for that (planned b first, c's own
    // wait would be about 155 s, and b's kept).
    const refused = await expectCode(hh.mux.acquire("c", { maxTokens: 400 }), "LLMUX_ERR_OVERLOADED");
    expect(refused.message).toContain("later than it was promised");
    expect(Number(/estimated wait is ([\d.]+) s/.exec(refused.message)?.[1])).toBeLessThan(100);
    await hh.clock.advance(5_000);
    running.value?.release();
    expect((await settleOf(hh, older)) - arrived).toBeLessThanOrEqual(150_000);
    older.value?.release();
  });

  it("plans a model serving now as keeping its turn until another is due while its arrivals are unmeasured", async () => {
    const hh = harness({ config: config(["a", "b"], 4, 85), policy: timeSlicePolicy });
    h = hh;
    // a's first request: one arrival, no rate yet. More may come, and each keeps a's turn open until b is due.
    const running = track(hh.mux.acquire("a", { maxTokens: 400 }));
    await settleOf(hh, running, 100);
    // b's first request joins whatever its wait (refusing it could lock b out). The next waits for a's turn to close
    // (20 s), a's sleep (10 s) and b's cold start (60 s), the priors: 90 s, over the 85 s it may wait. Planned with a
    // idle once its 10 s generation ends, it would be 80 s.
    const first = track(hh.mux.acquire("b", { maxTokens: 400 }));
    await hh.clock.settle();
    const refused = await expectCode(hh.mux.acquire("b", { maxTokens: 400 }), "LLMUX_ERR_OVERLOADED");
    expect(refused.message).toContain("estimated wait is 90.0 s");
    await hh.clock.advance(10_000);
    running.value?.release();
    await settleOf(hh, first);
    first.value?.release();
  });

  it("refuses a request that would push a promised one further past its promise, even when it is late without it", async () => {
    // a's sleep takes 150 s; the plan expects the 10 s prior.
    const hh = harness({ config: config(["a", "b"], 1, 200), policy: timeSlicePolicy, costs: { sleepMs: { 1: 150_000, 2: 300 } } });
    h = hh;
    const running = track(hh.mux.acquire("a", { maxTokens: 400 }));
    await settleOf(hh, running, 100);
    const first = track(hh.mux.acquire("b", { maxTokens: 400 }));
    await hh.clock.advance(1_000);
    // 50 s does not end before b is due: it waits for a's next turn, promised 200 s.
    const deferred = track(hh.mux.acquire("a", { maxTokens: 2_000 }));
    await hh.clock.advance(9_000);
    running.value?.release();
    // a goes to sleep at about 20 s. At 130 s it still sleeps: planned from now, b's cold start (60 s), b's request
    // (10 s), b's sleep and a's wake put the deferred request in at about 210 s, past its promise without anything new.
    await hh.clock.advance(120_000);
    expect(first.settled).toBe(false);
    // Another request for b goes in b's turn, after the first: the deferred one 10 s later still.
    const refused = await expectCode(hh.mux.acquire("b", { maxTokens: 400 }), "LLMUX_ERR_OVERLOADED");
    expect(refused.message).toContain("later than it was promised");
    await settleOf(hh, first);
    first.value?.release();
    await settleOf(hh, deferred);
    deferred.value?.release();
  });
});
