import { afterEach, describe, expect, it } from "vitest";
import { expectCode, finish, harness, makeConfig, track, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  if (h) await finish(h);
  h = undefined;
});

async function awake(hx: Harness, model: string): Promise<void> {
  const lease = track(hx.mux.acquire(model));
  for (let i = 0; i < 60 && !lease.settled; i++) await hx.clock.advance(1_000);
  if (!lease.value) throw new Error(`${model} did not come up: ${String(lease.error)}`);
  lease.value.release();
}

describe("Multiplexer: failures", () => {
  it("a crash fails the model's leases with 502 and the next request restarts it", async () => {
    h = harness();
    const lease = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    h.engine("a").crash();
    expect(lease.value?.signal.reason).toMatchObject({ code: "LLMUX_ERR_ENGINE_CRASHED", status: 502 });
    expect(h.mux.snapshot().models[0]).toMatchObject({ state: "stopped", inFlight: 0 });
    expect(h.events.some((e) => e.type === "engine-exit" && !e.expected)).toBe(true);
    lease.value?.release();
    await awake(h, "a");
    expect(h.engines.get("a")).toHaveLength(2);
    expect(h.mux.snapshot().models[0]?.restarts).toBe(1);
    expect(h.events.some((e) => e.type === "restart" && e.model === "a")).toBe(true);
  });

  it("routine level-3 switches are cold starts, not restarts", async () => {
    h = harness({ config: makeConfig({ policy: { sleep_level: 3 } }) });
    for (const model of ["a", "b", "a", "b"]) await awake(h, model);
    expect(h.engines.get("a")).toHaveLength(2);
    expect(h.mux.snapshot().models.map((model) => model.restarts)).toEqual([0, 0, 0]);
    expect(h.events.some((e) => e.type === "restart")).toBe(false);
  });

  it("a crash of the target during its wake falls back to a cold start", async () => {
    h = harness();
    await awake(h, "a");
    await awake(h, "b"); // a sleeps at level 1
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(1_000 + 100); // b asleep, a waking
    expect(h.mux.snapshot().models[0]?.state).toBe("waking");
    h.engine("a").crash();
    await h.clock.advance(10_000);
    expect(a.value?.model).toBe("a");
    expect(h.engines.get("a")).toHaveLength(2);
    a.value?.release();
  });

  it("a crash of the evictee during its drain still completes the switch", async () => {
    h = harness();
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(100);
    h.engine("a").crash();
    expect(a.value?.signal.reason).toMatchObject({ code: "LLMUX_ERR_ENGINE_CRASHED" });
    await h.clock.advance(10_000);
    expect(b.value?.model).toBe("b");
    expect(h.mux.snapshot().models[0]?.state).toBe("stopped");
    b.value?.release();
  });

  it("a failed sleep escalates to level 3 (stop)", async () => {
    h = harness();
    await awake(h, "a");
    h.engine("a").arm("fail_sleep");
    await awake(h, "b");
    expect(h.mux.snapshot().models[0]).toMatchObject({ state: "stopped", sleepLevel: 3 });
    expect(h.engine("a").calls.map((c) => c.op)).toEqual(["start", "sleep", "stop"]);
    expect(h.events.find((e) => e.type === "escalation")).toMatchObject({ model: "a" });
    // The next use of a is a cold start.
    await awake(h, "a");
    expect(h.engines.get("a")).toHaveLength(2);
  });

  it("a hung sleep times out after sleep_timeout_secs and escalates", async () => {
    h = harness({ config: makeConfig({ policy: { sleep_timeout_secs: 4 } }) });
    await awake(h, "a");
    h.engine("a").arm("hang_sleep");
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(3_900);
    expect(h.mux.snapshot().models[0]?.state).toBe("sleeping");
    await h.clock.advance(10_000);
    expect(b.value?.model).toBe("b");
    expect(h.mux.snapshot().models[0]?.state).toBe("stopped");
    expect(h.events.some((e) => e.type === "escalation" && /did not finish within 4.0 s/.test(e.reason))).toBe(true);
    b.value?.release();
  });

  it("a failed wake stops the engine and cold-starts once", async () => {
    h = harness();
    await awake(h, "a");
    await awake(h, "b");
    h.engine("a").arm("fail_wake");
    await awake(h, "a");
    expect(h.engines.get("a")).toHaveLength(2);
    expect(h.engines.get("a")?.[0]?.calls.map((c) => c.op)).toEqual(["start", "sleep", "wake", "stop"]);
    const record = h.mux.snapshot().switches.at(-1);
    expect(record?.phases.map((p) => `${p.phase}:${p.ok}`)).toEqual(["drain:true", "sleep:true", "wake:false", "stop:true", "start:true"]);
  });

  it("wake failure, then cold-start failure: waiters get LLMUX_ERR_SWITCH_FAILED", async () => {
    h = harness();
    await awake(h, "a");
    await awake(h, "b");
    h.engine("a").arm("fail_wake");
    h.nextFaults.set("a", ["fail_start"]);
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(20_000);
    expect(a.error).toMatchObject({ code: "LLMUX_ERR_SWITCH_FAILED", status: 503 });
    expect((a.error as Error).message).toMatch(/simulated start-up failure/);
    expect(h.mux.snapshot().models[0]).toMatchObject({ state: "stopped" });
    expect(h.mux.snapshot().models[0]?.lastError).toMatch(/failed to start/);
  });

  it("a start-up failure answers 503 quoting the logs, then backs off, then retries", async () => {
    h = harness({ config: makeConfig({ policy: { startup_backoff_secs: 10 } }) });
    h.nextFaults.set("a", ["fail_start"]);
    const first = track(h.mux.acquire("a"));
    const second = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    expect(first.error).toMatchObject({ code: "LLMUX_ERR_MODEL_START_FAILED", status: 503 });
    expect((first.error as Error).message).toMatch(/Last log lines:\nValueError: simulated start-up failure/);
    expect(second.error).toMatchObject({ code: "LLMUX_ERR_MODEL_START_FAILED" });
    const backoff = await expectCode(h.mux.acquire("a"), "LLMUX_ERR_MODEL_BACKOFF");
    expect(backoff.retryAfterSecs).toBe(9); // failed at +5 s, asked at +6 s
    expect(h.engines.get("a")).toHaveLength(1);
    await h.clock.advance(10_000);
    await awake(h, "a");
    expect(h.engines.get("a")).toHaveLength(2);
  });
});

describe("Multiplexer: close and destroy", () => {
  it("close() during a switch fails waiters, stops every engine, and is idempotent", async () => {
    h = harness();
    await awake(h, "a");
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(1_500); // a asleep, b starting
    expect(h.mux.snapshot().models[1]?.state).toBe("starting");
    const closing = track(h.mux.close());
    const again = h.mux.close();
    await h.clock.advance(5_000);
    expect(closing.settled).toBe(true);
    await again;
    expect(b.error).toMatchObject({ code: "LLMUX_ERR_SHUTTING_DOWN", status: 503 });
    expect([...h.engines.values()].flat().every((engine) => engine.state === "stopped")).toBe(true);
    await expectCode(h.mux.acquire("a"), "LLMUX_ERR_SHUTTING_DOWN");
    expect(h.mux.snapshot().closed).toBe(true);
  });

  it("close() lets leases finish within the grace period, then revokes them", async () => {
    h = harness({ config: makeConfig({ proxy: { shutdown_grace_secs: 5 } }) });
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    const closing = track(h.mux.close());
    await h.clock.advance(4_000);
    expect(closing.settled).toBe(false);
    expect(a.value?.signal.aborted).toBe(false);
    expect(h.engine("a").state).toBe("awake");
    await h.clock.advance(2_000);
    expect(a.value?.signal.reason).toMatchObject({ code: "LLMUX_ERR_SHUTTING_DOWN" });
    await h.clock.advance(1_000);
    expect(closing.settled).toBe(true);
    expect(h.engine("a").state).toBe("stopped");
  });

  it("close() finishes early when the last lease is released", async () => {
    h = harness();
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    const closing = track(h.mux.close());
    await h.clock.advance(1_000);
    a.value?.release();
    await h.clock.advance(1_000);
    expect(closing.settled).toBe(true);
  });

  it("destroy() aborts leases at once, even while close() waits", async () => {
    h = harness();
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    void h.mux.close();
    const destroyed = track(h.mux.destroy(new Error("boom")));
    await h.clock.advance(1_000);
    expect(destroyed.settled).toBe(true);
    expect(a.value?.signal.aborted).toBe(true);
  });
});

describe("Multiplexer: admin", () => {
  it("sleepModel, wakeModel and stopModel", async () => {
    h = harness();
    await awake(h, "a");
    const sleeping = track(h.mux.sleepModel("a", 2));
    await h.clock.advance(1_000);
    await sleeping.promise;
    expect(h.mux.snapshot().models[0]).toMatchObject({ state: "asleep", sleepLevel: 2 });
    const waking = track(h.mux.wakeModel("a"));
    await h.clock.advance(3_000);
    await waking.promise;
    expect(h.mux.snapshot().models[0]?.state).toBe("awake");
    expect(h.engine("a").calls.at(-1)).toMatchObject({ op: "wake", level: 2 });
    const waking2 = track(h.mux.wakeModel("b"));
    await h.clock.advance(10_000);
    await waking2.promise;
    expect(h.mux.snapshot().models.map((m) => m.state)).toEqual(["asleep", "awake", "stopped"]);
    const stopping = track(h.mux.stopModel("b"));
    await h.clock.advance(1_000);
    await stopping.promise;
    expect(h.mux.snapshot().models[1]?.state).toBe("stopped");
    await expect(h.mux.sleepModel("zzz")).rejects.toMatchObject({ code: "LLMUX_ERR_UNKNOWN_MODEL" });
  });
});

describe("Multiplexer: events and costs", () => {
  it("records state durations, switch phases and moving-average costs", async () => {
    h = harness();
    await awake(h, "a");
    await awake(h, "b");
    await awake(h, "a");
    const a = h.mux.snapshot().models[0]!;
    expect(a.costs.coldStartMs).toBe(5_000);
    expect(a.costs.sleepMs[1]).toBe(1_000);
    expect(a.costs.wakeMs[1]).toBe(500);
    const state = h.events.find((e) => e.type === "state" && e.model === "a" && e.from === "starting");
    expect(state).toMatchObject({ to: "awake", durationMs: 5_000 });
    const end = h.events.filter((e) => e.type === "switch-end").at(-1);
    expect(end?.type === "switch-end" && end.record.durationMs).toBe(1_500);
    expect(h.events.some((e) => e.type === "admitted" && e.waitMs === 1_500)).toBe(true);
  });
});

describe("Multiplexer: races", () => {
  it("a queue timeout during the drain calls the switch off", async () => {
    h = harness();
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    expect(a.value).toBeDefined();
    const b = track(h.mux.acquire("b", { deadline: h.clock.now() + 2_000 }));
    await h.clock.advance(2_100);
    expect(b.error).toMatchObject({ code: "LLMUX_ERR_QUEUE_TIMEOUT" });
    a.value?.release();
    await h.clock.advance(5_000);
    expect(h.engines.has("b")).toBe(false);
    expect(h.mux.snapshot().models[0]?.state).toBe("awake");
  });

  it("requests for every model at once: each model comes up, one at a time, nothing lost", async () => {
    h = harness({ config: makeConfig({ policy: { request_timeout_secs: 600 } }) });
    const all = ["a", "b", "c", "a", "b", "c"].map((m) => track(h!.mux.acquire(m)));
    const seen = new Set<string>();
    for (let i = 0; i < 120 && !all.every((p) => p.settled); i++) {
      await h.clock.advance(500);
      for (const lease of all)
        if (lease.value && !lease.value.signal.aborted && !seen.has(`${lease.value.model}${all.indexOf(lease)}`)) {
          seen.add(`${lease.value.model}${all.indexOf(lease)}`);
          const awake = h.mux.snapshot().models.filter((m) => m.state === "awake" || m.state === "draining");
          expect(awake.length).toBeLessThanOrEqual(1);
          lease.value.release();
        }
    }
    expect(all.every((p) => p.value)).toBe(true);
  });

  it("close() while a drain is in progress does not wake the target", async () => {
    h = harness();
    const a = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(100);
    const closing = track(h.mux.close());
    await h.clock.advance(100);
    expect(b.error).toMatchObject({ code: "LLMUX_ERR_SHUTTING_DOWN" });
    a.value?.release();
    await h.clock.advance(5_000);
    expect(closing.settled).toBe(true);
    expect(h.engines.has("b")).toBe(false);
    expect(h.engine("a").state).toBe("stopped");
  });
});
