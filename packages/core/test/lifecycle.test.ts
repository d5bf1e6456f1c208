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

describe("preload", () => {
  it("brings models up pinned first then lowest priority up; the ones that do not fit end asleep, and status shows progress", async () => {
    const config = makeConfig({}, ["a", "b", "c"], { warmup: true });
    Object.assign(config.models["a"]!, { preload: true, priority: 5 });
    Object.assign(config.models["b"]!, { preload: true, pinned: true, gpus: [1] });
    Object.assign(config.models["c"]!, { preload: true, priority: -1 });
    h = harness({ config });
    const done = track(h.mux.preload());
    await h.clock.advance(1_000);
    expect(h.mux.snapshot().preload).toMatchObject({
      state: "running",
      total: 3,
      done: 0,
      models: [
        { name: "b", state: "loading" },
        { name: "c", state: "pending" },
        { name: "a", state: "pending" },
      ],
    });
    await h.clock.advance(60_000);
    expect(done.settled).toBe(true);
    expect(h.mux.snapshot().preload).toMatchObject({ state: "done", total: 3, done: 3 });
    const states = Object.fromEntries(h.mux.snapshot().models.map((m) => [m.name, m.state]));
    expect(states).toEqual({ a: "awake", b: "awake", c: "asleep" });
    // Each was warmed up after its start; c was slept to make room for a.
    expect(h.engine("c").calls.map((call) => call.op)).toEqual(["start", "warmup", "sleep"]);
    // The next request for c costs a wake, not a cold start.
    const c = track(h.mux.acquire("c"));
    await h.clock.advance(10_000);
    expect(c.value?.model).toBe("c");
    c.value?.release();
    expect(h.engines.get("c")).toHaveLength(1);
    // Pinned b was never evicted.
    expect(h.engine("b").calls.map((call) => call.op)).toEqual(["start", "warmup"]);
  });

  it("a model that fails to start is reported and the others still load", async () => {
    h = harness({ config: makeConfig({}, ["a", "b"]) });
    h.nextFaults.set("a", ["fail_start"]);
    (h.config.models["b"] as { gpus: number[] }).gpus = [1];
    const done = track(h.mux.preload(["a", "b"]));
    await h.clock.advance(30_000);
    expect(done.settled).toBe(true);
    expect(h.mux.snapshot().preload.models).toMatchObject([
      { name: "a", state: "failed" },
      { name: "b", state: "loaded", error: null },
    ]);
    expect(h.mux.snapshot().preload.models[0]?.error).toMatch(/start/);
  });
});
