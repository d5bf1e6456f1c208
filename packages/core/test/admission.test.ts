import { afterEach, describe, expect, it } from "vitest";
import { timeSlicePolicy } from "../src/policies/time-slice.js";
import { expectCode, finish, harness, makeConfig, track, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  if (h) await finish(h);
  h = undefined;
});

const model = (name: string) => h?.mux.snapshot().models.find((m) => m.name === name);

describe("llmux holds the queue", () => {
  it("lets at most max_concurrency requests into vLLM; the next goes in at a completion", async () => {
    h = harness({ config: makeConfig({}, ["a", "b"], { max_concurrency: 2 }) });
    const leases = [track(h.mux.acquire("a")), track(h.mux.acquire("a")), track(h.mux.acquire("a"))];
    await h.clock.advance(6_000);
    expect(leases.map((lease) => lease.settled)).toEqual([true, true, false]);
    expect(model("a")).toMatchObject({ state: "awake", inFlight: 2, queueDepth: 1, max_concurrency: 2 });
    leases[0]?.value?.release();
    await h.clock.settle();
    expect(leases[2]?.settled).toBe(true);
    expect(model("a")).toMatchObject({ inFlight: 2, queueDepth: 0 });
    leases[1]?.value?.release();
    leases[2]?.value?.release();
  });

  it("once another model is due, admits only what finishes before the planned switch; the drain ends on time", async () => {
    // 10 tokens/s: max_tokens 100 is 10 s, 400 is 40 s. max_wait 30 s.
    const config = makeConfig({ policy: { max_wait_secs: 30, policy_type: "time_slice" } }, ["a", "b"], { decode_tokens_per_sec: 10 });
    h = harness({ config, policy: timeSlicePolicy });
    const first = track(h.mux.acquire("a", { maxTokens: 100 }));
    await h.clock.advance(5_000);
    expect(first.settled).toBe(true);
    const start = h.clock.now();
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(1_000);
    // b is due 30 s after it arrived: a 10 s request fits, a 40 s one waits for a's next turn.
    const short = track(h.mux.acquire("a", { maxTokens: 100 }));
    const long = track(h.mux.acquire("a", { maxTokens: 400 }));
    await h.clock.settle();
    expect(short.settled).toBe(true);
    expect(long.settled).toBe(false);
    first.value?.release();
    await h.clock.advance(10_000);
    short.value?.release();
    await h.clock.advance(start + 29_000 - h.clock.now());
    expect(b.settled).toBe(false);
    expect(model("a")?.state).toBe("awake");
    // Due at 30 s: nothing in flight, so the drain takes no time; sleep 1 s, cold start of b 5 s.
    await h.clock.advance(7_000);
    expect(b.settled).toBe(true);
    const record = h.mux.snapshot().switches.at(-1);
    expect(record?.phases.find((phase) => phase.phase === "drain")?.durationMs).toBe(0);
    expect(model("a")).toMatchObject({ state: "asleep", queueDepth: 1, drain: { avg_ms: 0, p90_ms: 0, samples: 1 } });
    expect(long.settled).toBe(false);
    b.value?.release();
    // The long request is a's next turn.
    await h.clock.advance(40_000);
    expect(long.settled).toBe(true);
    long.value?.release();
  });

  it("measures drains per model and reports them in the snapshot and the switch record", async () => {
    h = harness({ config: makeConfig({}, ["a", "b"]) });
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(2_500);
    a.value?.release();
    await h.clock.advance(10_000);
    expect(b.settled).toBe(true);
    expect(model("a")?.drain).toEqual({ avg_ms: 2_500, p90_ms: 2_500, samples: 1 });
    expect(h.mux.snapshot().switches.at(-1)?.drains).toEqual([{ model: "a", avgMs: 2_500, p90Ms: 2_500 }]);
    b.value?.release();
  });
});

describe("overload control", () => {
  it("answers at once with 429 and Retry-After past a model's max_queue; the queued request keeps its place", async () => {
    h = harness({ config: makeConfig({}, ["a", "b"], { max_queue: 1 }) });
    const queued = track(h.mux.acquire("a"));
    const refused = await expectCode(h.mux.acquire("a"), "LLMUX_ERR_OVERLOADED");
    expect(refused.status).toBe(429);
    expect(refused.retryAfterSecs).toBeGreaterThanOrEqual(1);
    expect(refused.message).toContain("max_queue 1");
    await h.clock.advance(6_000);
    expect(queued.settled).toBe(true);
    expect(h.events.filter((event) => event.type === "rejected").map((event) => event.type === "rejected" && event.code)).toEqual(["LLMUX_ERR_OVERLOADED"]);
    queued.value?.release();
  });

  it("applies policy.max_queue across models", async () => {
    h = harness({ config: makeConfig({ policy: { max_queue: 2 } }, ["a", "b"]) });
    const first = track(h.mux.acquire("a"));
    const second = track(h.mux.acquire("b"));
    await expectCode(h.mux.acquire("b"), "LLMUX_ERR_OVERLOADED");
    await h.clock.advance(6_000);
    expect(first.settled).toBe(true);
    first.value?.release();
    await h.clock.advance(10_000);
    expect(second.settled).toBe(true);
    second.value?.release();
  });
});
