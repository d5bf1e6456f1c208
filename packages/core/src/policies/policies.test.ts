import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/parse-config.js";
import { emptyCosts } from "../costs.js";
import type { PolicyModelView, PolicyView } from "../policy.js";
import { policyModel, policyView } from "../../test/policy-views.js";
import { costAwarePolicy } from "./cost-aware.js";
import { fifoPolicy } from "./fifo.js";
import { timeSlicePolicy } from "./time-slice.js";

const policyConfig = parseConfig({ models: { a: { model_path: "x", port: 8001 } }, policy: { max_wait_secs: 30, min_active_secs: 0 } }).policy;

function model(name: string, overrides: Partial<PolicyModelView> = {}): PolicyModelView {
  const costs = emptyCosts();
  costs.sleepMs[1] = 3_000;
  costs.wakeMs[1] = 1_000;
  return policyModel(name, { state: "asleep", asleepLevel: 1, fraction: 0.9, costs, ...overrides });
}

function view(now: number, models: PolicyModelView[], config: Partial<typeof policyConfig> = {}): PolicyView {
  return policyView(now, models, { ...policyConfig, ...config });
}

describe("fifo", () => {
  it("switches to the model of the oldest waiting request, evicting the awake one", () => {
    const decision = fifoPolicy.decide(
      view(100_000, [
        model("a", { state: "awake", asleepLevel: null, inFlight: 3, awakeSince: 0, lastAdmitAt: 99_000 }),
        model("b", { queue: [95_000] }),
        model("c", { queue: [90_000] }),
      ]),
    );
    expect(decision).toEqual({ action: "switch", model: "c", evict: [{ model: "a", action: "sleep" }], reason: "oldest waiting request" });
  });

  it("waits for min_active_secs, then switches", () => {
    const models = [model("a", { state: "awake", asleepLevel: null, awakeSince: 95_000 }), model("b", { queue: [96_000] })];
    expect(fifoPolicy.decide(view(100_000, models, { min_active_secs: 10 }))).toEqual({ action: "wait", recheckAt: 105_000 });
    expect(fifoPolicy.decide(view(105_000, models, { min_active_secs: 10 }))).toMatchObject({ action: "switch", model: "b" });
  });

  it("keeps strict order: waits while the oldest request's model is busy", () => {
    const decision = fifoPolicy.decide(view(100_000, [model("a", { busy: true, state: "waking", queue: [80_000] }), model("b", { queue: [90_000] })]));
    expect(decision).toEqual({ action: "wait" });
  });

  it("stops a sleeper whose reserve blocks a start", () => {
    const decision = fifoPolicy.decide(
      view(0, [model("a", { fraction: 0.99, state: "stopped", asleepLevel: null, queue: [0] }), model("b", { state: "asleep" })]),
    );
    expect(decision).toMatchObject({ action: "switch", model: "a", evict: [{ model: "b", action: "stop" }] });
  });
});

describe("cost_aware", () => {
  it("does not evict a busy model for a trickle: the request waits for its max_wait bound", () => {
    const awake = model("a", { state: "awake", asleepLevel: null, inFlight: 2, awakeSince: 0, lastAdmitAt: 99_500 });
    // One waiter is less work than the 2 in flight: it never takes over; bound = oldest + 30 s.
    expect(costAwarePolicy.decide(view(100_000, [awake, model("b", { queue: [99_000] })]))).toEqual({ action: "wait", recheckAt: 129_000 });
    expect(costAwarePolicy.decide(view(129_000, [awake, model("b", { queue: [99_000] })]))).toMatchObject({
      action: "switch",
      model: "b",
      reason: "max_wait bound",
    });
  });

  it("lets a model take over once more requests wait for it than the awake one has and the waiting outweighs the switch", () => {
    const awake = model("a", { state: "awake", asleepLevel: null, inFlight: 2, awakeSince: 0, lastAdmitAt: 99_500 });
    const b = model("b", { queue: [99_000, 99_000, 99_000] });
    // 2 × 2 in flight × (sleep 3 s + wake 1 s) = 16 request-seconds; 3 s waited, three waiters: 13 s ÷ 3 more.
    expect(costAwarePolicy.decide(view(100_000, [awake, b]))).toEqual({ action: "wait", recheckAt: 104_334 });
    expect(costAwarePolicy.decide(view(104_334, [awake, b]))).toMatchObject({ action: "switch", model: "b", reason: "waiting outweighs the switch" });
  });

  it("brings the bound forward by one switch per model waiting longer", () => {
    const awake = model("a", { state: "awake", asleepLevel: null, inFlight: 20, awakeSince: 0, lastAdmitAt: 99_500 });
    const decision = costAwarePolicy.decide(view(100_000, [awake, model("b", { queue: [90_000] }), model("c", { queue: [95_000] })]));
    // b: 90 s + 30 s = 120 s; c: 95 s + 30 s - one switch (4 s) and half of one for its drain (2 s) = 119 s.
    expect(decision).toEqual({ action: "wait", recheckAt: 119_000 });
  });

  it("when a younger model's brought-forward bound is due, the older one it made room for goes first", () => {
    const awake = model("a", { state: "awake", asleepLevel: null, inFlight: 20, awakeSince: 0, lastAdmitAt: 119_500 });
    // c is due at 119 s (see above) while b's own bound is 120 s: b, waiting longer, still goes first.
    const decision = costAwarePolicy.decide(view(119_000, [awake, model("b", { queue: [90_000] }), model("c", { queue: [95_000] })]));
    expect(decision).toMatchObject({ action: "switch", model: "b", reason: "max_wait bound" });
  });

  it("serves a model whose bound is near on the trip already leaving the busy model", () => {
    const visited = model("x", { state: "awake", asleepLevel: null, inFlight: 1, awakeSince: 96_000, lastAdmitAt: 97_000 });
    const busy = model("a", { queue: Array.from({ length: 10 }, () => 95_000) });
    const decision = costAwarePolicy.decide(view(100_000, [visited, busy, model("c", { queue: [80_000] })]));
    expect(decision).toMatchObject({ action: "switch", model: "c", reason: "same trip" });
    // Without c, the busy model goes next.
    expect(costAwarePolicy.decide(view(100_000, [visited, busy, model("c")]))).toMatchObject({ action: "switch", model: "a" });
  });

  it("serves a trickle model that could take over by itself as a stop of the trip, before the busy model", () => {
    const visited = model("x", { state: "awake", asleepLevel: null, inFlight: 1, awakeSince: 96_000, lastAdmitAt: 97_000 });
    const busy = model("a", { queue: Array.from({ length: 10 }, () => 95_000) });
    // c outweighs x's one request in flight (2 waiters, 30 request-seconds), but less waits for it than for a:
    // it is a stop on the way back to a, not a destination (else it would need a trip of its own within 15 s).
    const c = model("c", { queue: [85_000, 85_000] });
    expect(costAwarePolicy.decide(view(100_000, [visited, busy, c]))).toMatchObject({ action: "switch", model: "c", reason: "same trip" });
  });

  it("switches at once when the awake model is idle and has been quiet for a switch's time", () => {
    const models = [model("a", { state: "awake", asleepLevel: null, awakeSince: 0, lastAdmitAt: 97_000 }), model("b", { queue: [99_000] })];
    expect(costAwarePolicy.decide(view(100_000, models))).toMatchObject({ action: "wait", recheckAt: 101_000 });
    expect(costAwarePolicy.decide(view(101_000, models))).toMatchObject({ action: "switch", model: "b", reason: "evictees quiet" });
  });

  it("brings up a model that fits without eviction at once", () => {
    const decision = costAwarePolicy.decide(
      view(0, [model("a", { state: "awake", asleepLevel: null, fraction: 0.4, inFlight: 5, lastAdmitAt: 0 }), model("b", { fraction: 0.4, queue: [0] })]),
    );
    expect(decision).toMatchObject({ action: "switch", model: "b", evict: [], reason: "fits without eviction" });
  });

  it("prefers the most urgent request under the bound, then the most waiting work", () => {
    const awake = model("a", { state: "awake", asleepLevel: null, awakeSince: 0, lastAdmitAt: 0 });
    const decision = costAwarePolicy.decide(view(100_000, [awake, model("b", { queue: [98_000, 98_500, 99_000] }), model("c", { queue: [99_500] })]));
    expect(decision).toMatchObject({ action: "switch", model: "b" });
    const urgent = costAwarePolicy.decide(view(100_000, [awake, model("b", { queue: [98_000, 98_500, 99_000] }), model("c", { queue: [60_000] })]));
    expect(urgent).toMatchObject({ action: "switch", model: "c", reason: "max_wait bound" });
  });

  it("skips models in backoff or busy", () => {
    const decision = costAwarePolicy.decide(view(0, [model("a", { inBackoff: true, queue: [0] }), model("b", { busy: true, queue: [0] })]));
    expect(decision).toEqual({ action: "wait" });
  });
});

describe("time_slice", () => {
  const awake = (overrides: Partial<PolicyModelView> = {}) =>
    model("a", { state: "awake", asleepLevel: null, inFlight: 2, awakeSince: 0, lastAdmitAt: 99_000, inFlightEndsAt: 110_000, ...overrides });

  it("keeps the awake model until a waiting model is due, and plans the switch for then", () => {
    // b's oldest arrived at 90 s: due at 90 + 30 = 120 s; a admits only what ends by then.
    expect(timeSlicePolicy.decide(view(100_000, [awake(), model("b", { queue: [90_000] })]))).toEqual({
      action: "wait",
      recheckAt: 120_000,
      closeAt: { a: 120_000 },
    });
    expect(timeSlicePolicy.decide(view(120_000, [awake({ inFlightEndsAt: 119_000 }), model("b", { queue: [90_000] })]))).toMatchObject({
      action: "switch",
      model: "b",
      reason: "due: max_wait bound",
    });
  });

  it("when due, waits for the generations already running while the awake model admits what ends by then", () => {
    const decision = timeSlicePolicy.decide(view(120_000, [awake({ inFlightEndsAt: 130_000 }), model("b", { queue: [90_000] })]));
    expect(decision).toEqual({ action: "wait", recheckAt: 130_000, closeAt: { a: 130_000 } });
  });

  it("when due, pauses at most three stragglers on a model with a drain budget when that lowers the longest wait", () => {
    // b's oldest request has waited 30 s and its switch takes 4 s (3 s sleep, 1 s wake). The stragglers' next turn comes
    // after a round of 10 s: sleep a, wake b, b's turn of one batch (5 s, its measured slot time), sleep b, wake a.
    const due = (inFlight: number, maxDrainSecs: number | null, pausableSince: number, heldP90Ms: number | null = 5_000) =>
      timeSlicePolicy.decide(
        view(120_000, [
          awake({ inFlight, inFlightEndsAt: 200_000, maxDrainSecs, pausableSince }),
          model("b", { admitLimit: 4, queue: [90_000, 100_000], heldP90Ms }),
        ]),
      );
    // Stragglers 20 s old: 20 + 10 < 30 + 4.
    expect(due(3, 1, 100_000)).toMatchObject({ action: "switch", model: "b", reason: "due: max_wait bound", evict: [{ model: "a", action: "sleep" }] });
    // A busy batch, or a model that cannot pause: wait for the generations running.
    expect(due(4, 1, 100_000)).toMatchObject({ action: "wait", recheckAt: 200_000 });
    expect(due(1, null, 100_000)).toMatchObject({ action: "wait", recheckAt: 200_000 });
    // Stragglers 25 s old would wait 35 s by their next turn, longer than b's oldest request waits without the pause.
    expect(due(3, 1, 95_000)).toMatchObject({ action: "wait", recheckAt: 200_000 });
    // Unmeasured, b's turn is priced at max_wait_secs (30 s): the round outweighs the wait saved.
    expect(due(3, 1, 100_000, null)).toMatchObject({ action: "wait", recheckAt: 200_000 });
  });

  it("tells the drain not to pause when a switch goes ahead while pausing does not pay", () => {
    // The generation was expected to end at 110 s and still runs at 120 s: the switch starts. It arrived before b's oldest
    // request, so pausing it would only move the longest wait onto it: the drain waits instead.
    const overrun = (pausableSince: number) =>
      timeSlicePolicy.decide(
        view(120_000, [
          awake({ inFlight: 1, inFlightEndsAt: 110_000, maxDrainSecs: 1, pausableSince }),
          model("b", { admitLimit: 4, queue: [90_000], heldP90Ms: 5_000 }),
        ]),
      );
    expect(overrun(60_000)).toMatchObject({ action: "switch", model: "b", evict: [{ model: "a", action: "sleep", pause: false }] });
    const young = overrun(110_000);
    expect(young).toMatchObject({ action: "switch", model: "b" });
    if (young.action === "switch") expect(young.evict[0]?.pause).toBeUndefined();
  });

  it("switches at once when the awake model has nothing in flight and nothing waiting", () => {
    const decision = timeSlicePolicy.decide(view(100_000, [awake({ inFlight: 0, inFlightEndsAt: null }), model("b", { queue: [99_000] })]));
    expect(decision).toMatchObject({ action: "switch", model: "b", reason: "evictees idle" });
  });

  it("brings a model's due time forward by one switch and one measured drain per model waiting longer", () => {
    const a = awake({ drain: { avgMs: 1_000, p90Ms: 2_000, samples: 5 } });
    const decision = timeSlicePolicy.decide(view(100_000, [a, model("b", { queue: [95_000] }), model("c", { queue: [90_000] })]));
    // c: 90 + 30 = 120 s. b: 95 + 30 - (3 s sleep + 1 s wake + 2 s drain) = 119 s.
    expect(decision).toEqual({ action: "wait", recheckAt: 119_000, closeAt: { a: 119_000 } });
  });

  it("serves the oldest due model first", () => {
    const decision = timeSlicePolicy.decide(
      view(130_000, [awake({ inFlightEndsAt: 100_000 }), model("b", { queue: [95_000] }), model("c", { queue: [90_000] })]),
    );
    expect(decision).toMatchObject({ action: "switch", model: "c" });
  });
});

describe("pinning and priority", () => {
  const awakeSince = 0;
  it("never evicts a pinned model, and waits when only evicting it would make room", () => {
    const models = [model("a", { state: "awake", asleepLevel: null, awakeSince, pinned: true }), model("b", { queue: [50_000] })];
    expect(fifoPolicy.decide(view(100_000, models))).toEqual({ action: "wait" });
    expect(costAwarePolicy.decide(view(100_000, models)).action).toBe("wait");
    const third = [...models, model("c", { state: "awake", asleepLevel: null, awakeSince, gpus: [1] }), model("d", { queue: [40_000], gpus: [1] })];
    expect(fifoPolicy.decide(view(100_000, third))).toMatchObject({ action: "switch", model: "d", evict: [{ model: "c" }] });
  });

  it("evicts the lowest priority first", () => {
    const models = [
      model("a", { state: "awake", asleepLevel: null, awakeSince, fraction: 0.45, priority: 1 }),
      model("b", { state: "awake", asleepLevel: null, awakeSince: 10_000, fraction: 0.45, priority: -1 }),
      model("c", { queue: [50_000], fraction: 0.45 }),
    ];
    expect(fifoPolicy.decide(view(100_000, models))).toMatchObject({ action: "switch", model: "c", evict: [{ model: "b" }] });
  });

  it("fifo serves the waiting model of higher priority before an older request", () => {
    const models = [model("a", { queue: [10_000] }), model("b", { queue: [20_000], priority: 5 })];
    expect(fifoPolicy.decide(view(100_000, models))).toMatchObject({ action: "switch", model: "b" });
    const equal = [model("a", { queue: [10_000] }), model("b", { queue: [20_000] })];
    expect(fifoPolicy.decide(view(100_000, equal))).toMatchObject({ action: "switch", model: "a" });
  });
});
