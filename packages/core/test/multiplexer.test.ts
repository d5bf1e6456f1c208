import { afterEach, describe, expect, it } from "vitest";
import { expectCode, finish, harness, makeConfig, track, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  if (h) await finish(h);
  h = undefined;
});

describe("Multiplexer: admission and switching", () => {
  it("cold-starts a model on first use and hands out a lease with its URL", async () => {
    h = harness();
    const lease = track(h.mux.acquire("a"));
    await h.clock.advance(4_000);
    expect(lease.settled).toBe(false);
    expect(h.mux.snapshot().models.find((m) => m.name === "a")?.state).toBe("starting");
    await h.clock.advance(2_000);
    expect(lease.value).toMatchObject({ model: "a", url: "http://127.0.0.1:8001" });
    expect(h.mux.snapshot().models[0]).toMatchObject({ state: "awake", inFlight: 1 });
    lease.value?.release();
    lease.value?.release();
    expect(h.mux.snapshot().models[0]?.inFlight).toBe(0);
    // Awake: the next request is admitted at once.
    const again = await h.mux.acquire("a");
    expect(again.url).toBe("http://127.0.0.1:8001");
    again.release();
    expect(h.engines.get("a")).toHaveLength(1);
  });

  it("rejects an unknown model with 404", async () => {
    h = harness();
    const error = await expectCode(h.mux.acquire("nope"), "LLMUX_ERR_UNKNOWN_MODEL");
    expect(error.status).toBe(404);
  });

  it("drains the awake model before sleeping it, queueing its new requests", async () => {
    h = harness();
    const first = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    const stream = first.value!;
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(10_000);
    expect(h.mux.snapshot().models.find((m) => m.name === "a")?.state).toBe("draining");
    const lateA = track(h.mux.acquire("a"));
    await h.clock.advance(1_000);
    expect(lateA.settled).toBe(false);
    expect(h.engine("a").calls.filter((c) => c.op === "sleep")).toHaveLength(0);
    stream.release();
    await h.clock.advance(1_000 + 5_000 + 100);
    expect(b.value?.model).toBe("b");
    expect(stream.signal.aborted).toBe(false);
    expect(h.engine("a").calls.find((c) => c.op === "sleep")).toMatchObject({ level: 1 });
    b.value?.release();
    // a's queued request now wins the GPU back with a level-1 wake.
    await h.clock.advance(3_000);
    expect(lateA.value?.model).toBe("a");
    expect(h.engine("a").calls.filter((c) => c.op === "wake")).toHaveLength(1);
    lateA.value?.release();
    const switches = h.mux.snapshot().switches;
    expect(switches.map((s) => [s.from, s.to, s.result])).toEqual([
      [[], "a", "ok"],
      [["a"], "b", "ok"],
      [["b"], "a", "ok"],
    ]);
    expect(switches[1]?.phases.map((p) => p.phase)).toEqual(["drain", "sleep", "start"]);
  });

  it("serves three models under concurrent load without losing a request", async () => {
    h = harness({ config: makeConfig({ policy: { request_timeout_secs: 600 } }) });
    const results: Promise<void>[] = [];
    const models = ["a", "b", "c"];
    let served = 0;
    for (let i = 0; i < 60; i++) {
      const model = models[(i * 7) % 3]!;
      results.push(
        h.mux.acquire(model).then(async (lease) => {
          const hold = 200 + ((i * 37) % 900);
          await new Promise<void>((resolve) => h!.clock.setTimeout(resolve, hold));
          expect(lease.signal.aborted).toBe(false);
          lease.release();
          served++;
        }),
      );
      await h.clock.advance(150);
    }
    for (let i = 0; i < 400 && served < 60; i++) await h.clock.advance(1_000);
    await Promise.all(results);
    expect(served).toBe(60);
    expect(h.violations).toEqual([]);
    // One model awake at a time with 0.9 each.
    expect(h.events.filter((e) => e.type === "switch-end").length).toBeGreaterThan(2);
  });

  it("keeps several models awake side by side when their fractions fit", async () => {
    h = harness({ config: makeConfig({}, ["a", "b", "c"], { gpu_memory_utilization: 0.3 }) });
    const leases = ["a", "b", "c"].map((m) => track(h!.mux.acquire(m)));
    await h.clock.advance(30_000);
    expect(leases.every((l) => l.value)).toBe(true);
    expect(h.mux.snapshot().models.map((m) => m.state)).toEqual(["awake", "awake", "awake"]);
    expect(h.events.filter((e) => e.type === "switch-end" && e.record.from.length > 0)).toHaveLength(0);
    // Same GPU: start-ups were serialized.
    const starts = ["a", "b", "c"].map((m) => h!.engine(m).calls[0]!.at).sort((x, y) => x - y);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(5_000);
    for (const lease of leases) lease.value?.release();
    expect(h.mux.snapshot().gpus[0]?.used).toBeCloseTo(0.9);
  });
});

describe("Multiplexer: timeouts and aborts while queued", () => {
  it("times out a queued request after request_timeout_secs with 504", async () => {
    h = harness({ config: makeConfig({ policy: { request_timeout_secs: 3 } }) });
    const pending = track(h.mux.acquire("a"));
    await h.clock.advance(3_100);
    expect(pending.error).toMatchObject({ code: "LLMUX_ERR_QUEUE_TIMEOUT", status: 504 });
    expect(h.events.some((e) => e.type === "rejected" && e.code === "LLMUX_ERR_QUEUE_TIMEOUT")).toBe(true);
  });

  it("a deadline shortens the wait", async () => {
    h = harness();
    const pending = track(h.mux.acquire("a", { deadline: h.clock.now() + 1_000 }));
    await h.clock.advance(1_100);
    expect(pending.error).toMatchObject({ code: "LLMUX_ERR_QUEUE_TIMEOUT" });
  });

  it("a client abort leaves the queue at once and never causes a switch", async () => {
    h = harness();
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    const controller = new AbortController();
    const b = track(h.mux.acquire("b", { signal: controller.signal }));
    await h.clock.advance(100);
    expect(h.mux.snapshot().models.find((m) => m.name === "a")?.state).toBe("draining");
    controller.abort();
    await h.clock.advance(0);
    expect(b.error).toMatchObject({ code: "LLMUX_ERR_ABORTED" });
    a.value?.release();
    await h.clock.advance(10_000);
    expect(h.engines.has("b")).toBe(false);
    expect(h.engine("a").calls.some((c) => c.op === "sleep")).toBe(false);
    expect(h.mux.snapshot().models.find((m) => m.name === "a")?.state).toBe("awake");
    expect(h.mux.snapshot().switches.at(-1)?.result).toBe("aborted");
  });

  it("rejects an already-aborted signal without queueing", async () => {
    h = harness();
    await expectCode(h.mux.acquire("a", { signal: AbortSignal.abort() }), "LLMUX_ERR_ABORTED");
    expect(h.engines.size).toBe(0);
  });
});

describe("Multiplexer: drain bounds and preemption", () => {
  it("preempts a stream that outlives drain_timeout_secs and sleeps with pauseFirst", async () => {
    h = harness({ config: makeConfig({ policy: { drain_timeout_secs: 5 } }) });
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(5_100);
    expect(a.value?.signal.aborted).toBe(true);
    expect(a.value?.signal.reason).toMatchObject({ code: "LLMUX_ERR_PREEMPTED", status: 503 });
    expect(h.engine("a").calls.find((c) => c.op === "sleep")).toMatchObject({ pauseFirst: true });
    await h.clock.advance(10_000);
    expect(b.value?.model).toBe("b");
    a.value?.release();
    b.value?.release();
  });

  it("with drain_before_switch false aborts in-flight leases at once", async () => {
    h = harness({ config: makeConfig({ policy: { drain_before_switch: false } }) });
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(10);
    expect(a.value?.signal.reason).toMatchObject({ code: "LLMUX_ERR_PREEMPTED" });
    await h.clock.advance(10_000);
    expect(b.value?.model).toBe("b");
    expect(h.engine("a").calls.find((c) => c.op === "sleep")).toMatchObject({ pauseFirst: true });
    b.value?.release();
  });
});
