import { describe, expect, it } from "vitest";
import { POLICIES } from "../policies/index.js";
import { familyTrace } from "./trace-family.js";
import { familyConfig, simulateTrace, traceConfig } from "./simulate-trace.js";
import type { TraceRequest } from "./trace.js";

/** A seen held-out seed: accounting needs a realistic trace, not an unseen one. */
const SEED = 2005;

describe("simulateTrace accounting", () => {
  it("served + failed = requests for every policy on a held-out trace", async () => {
    const family = familyTrace("zipf-six", SEED, { durationSecs: 300 });
    const results = await simulateTrace({ trace: family.requests, config: familyConfig(family) });
    expect(results.map((result) => result.policy).sort()).toEqual(Object.keys(POLICIES).sort());
    for (const result of results) {
      expect(result.requests).toBe(family.requests.length);
      expect(result.served + result.failed).toBe(result.requests);
    }
  });

  it("served + failed + refused = requests for every policy when llmux refuses past the policy's bound", async () => {
    // Two equal models near saturation: queues grow past any bound, so the estimate refuses some.
    const family = familyTrace("two-equal-saturated", SEED, { durationSecs: 600 });
    const config = familyConfig(family, { overload_refusal: "bound", max_wait_secs: 30, request_timeout_secs: 120 });
    const results = await simulateTrace({ trace: family.requests, config });
    for (const result of results) {
      expect(result.served + result.failed + result.refused).toBe(family.requests.length);
      expect(result.refused, result.policy).toBeGreaterThan(0);
      expect(result.served, result.policy).toBeGreaterThan(0);
    }
  });

  it("counts requests cut off by a drain timeout as failed and frees their place in the engine", async () => {
    // Two models, long outputs, a 2 s drain timeout and a batch of one: every switch cuts a generation off.
    const trace: TraceRequest[] = [];
    for (let i = 0; i < 20; i++) trace.push({ t: i * 3, model: i % 2 === 0 ? "a" : "b", tokens: 400 });
    const config = traceConfig(trace, { drain_timeout_secs: 2 });
    const [fifo] = await simulateTrace({ trace, config, policies: [POLICIES.fifo], service: { maxConcurrency: 1, tokensPerSec: 40 } });
    if (!fifo) throw new Error("missing result");
    expect(fifo.preempted).toBeGreaterThan(0);
    expect(fifo.failed).toBe(fifo.preempted);
    expect(fifo.served + fifo.failed).toBe(trace.length);
    // A cut-off generation frees the engine: nothing served waits for the 10 s it would still have run.
    expect(fifo.served).toBeGreaterThan(0);
    expect(fifo.drainMax).toBeLessThanOrEqual(2);
  });

  it("pauses at once with drain_before_switch false: paused work resumes where it stopped and never runs on a sleeping engine", async () => {
    const trace: TraceRequest[] = [
      { t: 0, model: "a", tokens: 400 },
      { t: 2, model: "b", tokens: 40 },
    ];
    const config = traceConfig(trace, { min_active_secs: 0, drain_before_switch: false, max_preemptions: 1 });
    const [fifo] = await simulateTrace({ trace, config, policies: [POLICIES.fifo], service: { tokensPerSec: 40, ttftMs: 0 } });
    if (!fifo) throw new Error("missing result");
    // a wakes (0–1 s) and makes 40 tokens before b arrives at 2 s: paused, a sleeps (10 s), b wakes (1 s) and is let in at 13 s.
    // fifo's next switch is due at once (a's resumed request is older) and pauses b before it made a token; a (its last pause)
    // resumes after b's sleep and a's wake at 24 s with 360 tokens (9 s, and 8 ms to re-read 40), then b goes at 44.008 s.
    expect(fifo.served).toBe(2);
    expect(fifo.failed).toBe(0);
    expect(fifo.paused).toBe(2);
    expect(fifo.switches).toBe(3);
    expect(fifo.latencyP50).toBeCloseTo(33.008, 6);
    expect(fifo.latencyP99).toBeCloseTo(43.008, 6);
    // Each request's tokens were generated once: 1 s + 9 s of a, 1 s of b, plus the re-read.
    expect(fifo.gpuBusySecs - fifo.switchingShare * fifo.makespanSecs).toBeCloseTo(11.008, 3);
  });

  it("reports drain time beside sleep and wake time", async () => {
    const trace: TraceRequest[] = [
      { t: 0, model: "a", tokens: 400 },
      { t: 1, model: "b", tokens: 10 },
    ];
    // Without the anti-thrash delay, so the switch starts as b arrives.
    const config = traceConfig(trace, { min_active_secs: 0 });
    const [fifo] = await simulateTrace({ trace, config, policies: [POLICIES.fifo], service: { tokensPerSec: 40, ttftMs: 0 } });
    // a wakes (1 s) and starts its 10 s generation just as b arrives: the switch drains it for 10 s, then sleeps a (10 s) and wakes b (1 s).
    expect(fifo?.drainMax).toBe(10);
    expect(fifo?.longestSwitchCostSecs).toBe(11);
    expect(fifo?.longestSwitchSecs).toBe(21);
    expect(fifo?.drainShare).toBeGreaterThan(0);
  });

  it("takes per-model, per-level costs", async () => {
    const trace: TraceRequest[] = [
      { t: 0, model: "a", tokens: 10 },
      { t: 5, model: "b", tokens: 10 },
    ];
    const [fifo] = await simulateTrace({
      trace,
      policies: [POLICIES.fifo],
      costs: { sleepMs: { 1: 2_000 } },
      modelCosts: { b: { wakeMs: { 1: 7_000 } } },
    });
    expect(fifo?.longestSwitchCostSecs).toBe(9);
  });

  it("says where the slowest requests' time went: waiting for a turn, the switch, admission, pauses, service", async () => {
    const trace: TraceRequest[] = [
      { t: 0, model: "a", tokens: 400 },
      { t: 1, model: "b", tokens: 40 },
    ];
    const config = traceConfig(trace, { min_active_secs: 0 });
    const [fifo] = await simulateTrace({ trace, config, policies: [POLICIES.fifo], service: { tokensPerSec: 40, ttftMs: 0 } });
    const slowest = fifo?.slowest;
    expect(slowest?.requests).toBe(1);
    // a wakes (1 s) and generates from 1 to 11 s. b arrives at 1 s and waits 10 s for a's drain and 10 s for a's sleep (a's turn), 1 s for its own wake (the switch), then generates for 1 s.
    expect(slowest?.turnSecs).toBeCloseTo(20, 6);
    expect(slowest?.switchSecs).toBeCloseTo(1, 6);
    expect(slowest?.heldSecs).toBe(0);
    expect(slowest?.serviceSecs).toBeCloseTo(1, 6);
    expect(slowest?.latencySecs).toBeCloseTo(22, 6);
    expect(slowest?.tokens).toBe(40);
  });

  it("counts paused time apart from service, and the parts add up to the latency", async () => {
    const family = familyTrace("two-equal-saturated", 1, { durationSecs: 300 });
    const [pausing] = await simulateTrace({
      trace: family.requests,
      config: familyConfig(family, { max_drain_secs: 1, max_preemptions: 1 }),
      policies: [POLICIES.time_slice],
    });
    const slowest = pausing?.slowest;
    if (!pausing || !slowest) throw new Error("missing result");
    expect(pausing.paused).toBeGreaterThan(0);
    expect(slowest.requests).toBe(Math.ceil(pausing.served / 100));
    expect(slowest.turnSecs + slowest.switchSecs + slowest.heldSecs + slowest.pausedSecs + slowest.serviceSecs).toBeCloseTo(slowest.latencySecs, 6);
  });
});
