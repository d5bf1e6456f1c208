import { describe, expect, it } from "vitest";
import type { Lease } from "../src/lease.js";
import { fifoPolicy } from "../src/policies/fifo.js";
import type { Policy } from "../src/policy.js";
import { type Harness, harness, makeConfig, track } from "./harness.js";

/** Advance virtual time until `promise` settles. */
async function drive<T>(h: Harness, promise: Promise<T>): Promise<T> {
  const state = track(promise);
  for (let step = 0; step < 200 && !state.settled; step++) await h.clock.advance(250);
  return promise;
}

/** A preemptible request on a, then one for b: the switch's drain waits 10 s for it without pausing it. */
async function expectDrainWaits(h: Harness): Promise<void> {
  const lease = await drive(h, h.mux.acquire("a", { preemptible: true }));
  const b = h.mux.acquire("b");
  await h.clock.advance(10_000);
  expect(lease.signal.aborted).toBe(false);
  lease.release();
  (await drive(h, b)).release();
  expect(h.events.some((e) => e.type === "paused")).toBe(false);
}

const paused = (reason: unknown) => (reason as { code?: string } | undefined)?.code;

describe("pausing preemptible requests for a switch (max_drain_secs)", () => {
  it("pauses the preemptible leases after max_drain_secs, waits for the others, and puts the paused request first on resume", async () => {
    const h = harness({ config: makeConfig({ policy: { max_drain_secs: 2, drain_timeout_secs: 30 } }) });
    const long = await drive(h, h.mux.acquire("a", { preemptible: true, requestId: "r-long" }));
    const fixed = await drive(h, h.mux.acquire("a", { requestId: "r-fixed" }));
    const switchDecidedAt = h.clock.now();
    const b = h.mux.acquire("b");
    await h.clock.advance(2_000);
    expect(paused(long.signal.reason)).toBe("LLMUX_ERR_REQUEST_PAUSED");
    expect(fixed.signal.aborted).toBe(false);
    expect(h.events.find((e) => e.type === "paused")).toMatchObject({ model: "a", requests: ["r-long"] });
    // The paused request asks again: it goes to the head of a's queue with its first arrival.
    const resumed = h.mux.acquire("a", {
      preemptible: true,
      requestId: "r-long",
      resume: { arrivedAt: switchDecidedAt - 10_000, pausedAt: h.clock.now(), preemptions: 1 },
    });
    const later = h.mux.acquire("a", { requestId: "r-later" });
    await h.clock.advance(5_000);
    fixed.release();
    const leaseB = await drive(h, b);
    leaseB.release();
    const first = (await drive(h, Promise.race([resumed.then(() => "resumed"), later.then(() => "later")]))) as string;
    expect(first).toBe("resumed");
    const record = h.mux.snapshot().switches.find((entry) => entry.to === "b");
    expect(record?.paused).toEqual([{ model: "a", requests: ["r-long"] }]);
    expect(h.events.find((e) => e.type === "resumed")).toMatchObject({ model: "a", requestId: "r-long", preemptions: 1 });
    // The sleep after a pause confirmed idleness first (vLLM #28714).
    expect(h.engine("a").calls.find((call) => call.op === "sleep")?.pauseFirst).toBe(true);
    expect(h.violations).toEqual([]);
  });

  it("a request paused max_preemptions times is no longer preemptible", async () => {
    const h = harness({ config: makeConfig({ policy: { max_drain_secs: 1, max_preemptions: 2 } }) });
    const lease: Lease = await drive(
      h,
      h.mux.acquire("a", { preemptible: true, resume: { arrivedAt: h.clock.now(), pausedAt: h.clock.now(), preemptions: 2 } }),
    );
    expect(lease.preemptible).toBe(false);
  });

  it("without max_drain_secs nothing is paused: the drain waits as before", async () => {
    await expectDrainWaits(harness());
  });
  it("a policy that marks an eviction pause: false gets a drain that waits despite max_drain_secs", async () => {
    const noPause: Policy = {
      name: "no-pause",
      decide: (view) => {
        const decision = fifoPolicy.decide(view);
        return decision.action === "switch" ? { ...decision, evict: decision.evict.map((e) => ({ ...e, pause: false })) } : decision;
      },
    };
    const h = harness({ config: makeConfig({ policy: { max_drain_secs: 1, drain_timeout_secs: 30 } }), policy: noPause });
    await expectDrainWaits(h);
    expect(h.violations).toEqual([]);
  });

  it("with drain_before_switch false a switch pauses the preemptible leases at once, cuts off what cannot be resumed, and lets one at max_preemptions finish", async () => {
    const h = harness({ config: makeConfig({ policy: { drain_before_switch: false, drain_timeout_secs: 30 } }) });
    const resumable = await drive(h, h.mux.acquire("a", { preemptible: true, requestId: "r-resumable" }));
    const fixed = await drive(h, h.mux.acquire("a", { requestId: "r-fixed" }));
    const last = await drive(h, h.mux.acquire("a", { preemptible: true, requestId: "r-last", resume: { arrivedAt: 0, pausedAt: 0, preemptions: 3 } }));
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(10);
    expect(paused(resumable.signal.reason)).toBe("LLMUX_ERR_REQUEST_PAUSED");
    expect(paused(fixed.signal.reason)).toBe("LLMUX_ERR_PREEMPTED");
    // Paused max_preemptions times already: it runs to completion, and the switch waits for it.
    await h.clock.advance(5_000);
    expect(last.signal.aborted).toBe(false);
    expect(b.settled).toBe(false);
    last.release();
    (await drive(h, b.promise)).release();
    expect(h.mux.snapshot().switches.find((entry) => entry.to === "b")?.paused).toEqual([{ model: "a", requests: ["r-resumable"] }]);
    expect(h.engine("a").calls.find((call) => call.op === "sleep")?.pauseFirst).toBe(true);
    expect(h.violations).toEqual([]);
  });
  it("a request paused on a model a reload removes still goes on; new requests get 404", async () => {
    const h = harness({ config: makeConfig({ policy: { max_drain_secs: 1 } }) });
    const long = await drive(h, h.mux.acquire("a", { preemptible: true, requestId: "r-long" }));
    const b = h.mux.acquire("b");
    await h.clock.advance(1_000);
    expect(paused(long.signal.reason)).toBe("LLMUX_ERR_REQUEST_PAUSED");
    h.mux.reconfigure(makeConfig({ policy: { max_drain_secs: 1 } }, ["b", "c"]));
    const resumed = h.mux.acquire("a", { preemptible: true, requestId: "r-long", resume: { arrivedAt: 0, pausedAt: h.clock.now(), preemptions: 1 } });
    await expect(h.mux.acquire("a")).rejects.toMatchObject({ code: "LLMUX_ERR_UNKNOWN_MODEL" });
    (await drive(h, b)).release();
    const lease = await drive(h, resumed);
    expect(lease.model).toBe("a");
    lease.release();
    expect(h.violations).toEqual([]);
  });
});
