import { afterEach, describe, expect, it } from "vitest";
import { finish, harness, makeConfig, track, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  if (h) await finish(h);
  h = undefined;
});

function stateOf(h: Harness, model: string): string | undefined {
  return h.mux.snapshot().models.find((m) => m.name === model)?.state;
}

describe("idle timeouts", () => {
  it("sleeps an awake model after idle_timeout_secs without a request, then stops it after asleep_timeout_secs", async () => {
    h = harness({ config: makeConfig({ policy: { idle_timeout_secs: 30, asleep_timeout_secs: 60 } }) });
    const lease = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    // In flight for longer than the timeout: never touched.
    await h.clock.advance(40_000);
    expect(stateOf(h, "a")).toBe("awake");
    lease.value?.release();
    await h.clock.advance(29_000);
    expect(stateOf(h, "a")).toBe("awake");
    // A request re-arms the idle time.
    (await h.mux.acquire("a")).release();
    await h.clock.advance(29_000);
    expect(stateOf(h, "a")).toBe("awake");
    await h.clock.advance(2_000 + 1_000);
    expect(stateOf(h, "a")).toBe("asleep");
    expect(h.engine("a").calls.map((c) => c.op)).toContain("sleep");
    expect(h.events.filter((e) => e.type === "idle")).toMatchObject([{ model: "a", from: "awake", action: "sleep" }]);
    await h.clock.advance(60_000 + 500);
    expect(stateOf(h, "a")).toBe("stopped");
    expect(h.events.filter((e) => e.type === "idle")).toMatchObject([{ action: "sleep" }, { model: "a", from: "asleep", action: "stop" }]);
    // Next request: a cold start, and it is served.
    const again = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    expect(again.value?.model).toBe("a");
    again.value?.release();
  });

  it("a per-model 0 overrides the policy's timeout", async () => {
    h = harness({ config: makeConfig({ policy: { idle_timeout_secs: 10 } }, ["a", "b"]) });
    (h.config.models["b"] as { idle_timeout_secs: number }).idle_timeout_secs = 0;
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    a.value?.release();
    await h.clock.advance(11_000 + 1_000);
    expect(stateOf(h, "a")).toBe("asleep");
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(6_000);
    b.value?.release();
    await h.clock.advance(120_000);
    expect(stateOf(h, "b")).toBe("awake");
  });
});

describe("warm-up", () => {
  it("sends one request after each start and wake, before any client is admitted, as the switch phase warmup", async () => {
    h = harness({ config: makeConfig({}, ["a", "b"], { warmup: true }), costs: { warmupMs: 700 } });
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(5_000 + 500);
    // Started, still warming up: not admitted yet.
    expect(a.settled).toBe(false);
    expect(h.engine("a").calls.map((c) => c.op)).toEqual(["start", "warmup"]);
    await h.clock.advance(300);
    expect(a.value?.model).toBe("a");
    a.value?.release();
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(10_000);
    b.value?.release();
    const again = track(h.mux.acquire("a"));
    await h.clock.advance(10_000);
    again.value?.release();
    expect(h.engine("a").calls.map((c) => c.op)).toEqual(["start", "warmup", "sleep", "wake", "warmup"]);
    const last = h.mux.snapshot().switches.at(-1);
    expect(last?.phases.map((p) => p.phase)).toEqual(["drain", "sleep", "wake", "warmup"]);
    expect(last?.phases.at(-1)).toMatchObject({ model: "a", durationMs: 700, ok: true });
  });
});
