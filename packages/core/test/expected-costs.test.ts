import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/parse-config.js";
import type { Lease } from "../src/lease.js";
import { expectCode, finish, harness, track, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  if (h) await finish(h);
  h = undefined;
});

/**
 * Two models, one request in vLLM at once, 20 s at most before a 429: `b`
 * stops when put away (level 3), so each of its turns begins with a cold
 * start. The engines really take FAST_COSTS (start 5 s, level-1 sleep 1 s).
 */
const config = (expected: { a?: Record<string, unknown>; b?: Record<string, unknown> } = {}) =>
  parseConfig({
    models: {
      a: { model_path: "org/a", port: 8001, max_concurrency: 1, ...(expected.a ? { expected_costs: expected.a } : {}) },
      b: { model_path: "org/b", port: 8002, max_concurrency: 1, sleep_level: 3, ...(expected.b ? { expected_costs: expected.b } : {}) },
    },
    policy: { sleep_level: 1, min_active_secs: 0, request_timeout_secs: 20, overload_refusal: "timeout" },
  });

/**
 * The wait llmux estimates (s) for a second request for `b` behind a 20 s
 * one (800 tokens at 40 tokens/s), while `a` serves a 1 s request (so `a` drains, then sleeps, then `b`
 * starts): read from its 429. Then everything is served.
 */
async function estimateForB(hh: Harness): Promise<number> {
  const held = track(hh.mux.acquire("a", { maxTokens: 40 }) as Promise<Lease>);
  while (!held.settled) await hh.clock.advance(100);
  expect(held.error).toBeUndefined();
  const first = track(hh.mux.acquire("b", { maxTokens: 800 }));
  await hh.clock.settle();
  const refused = await expectCode(hh.mux.acquire("b", { maxTokens: 400 }), "LLMUX_ERR_OVERLOADED");
  held.value?.release();
  while (!first.settled) await hh.clock.advance(100);
  expect(first.error).toBeUndefined();
  first.value?.release();
  await hh.clock.settle();
  return Number(/estimated wait is ([\d.]+) s/.exec(refused.message)?.[1]);
}

describe("expected_costs: the planner's priors until measured", () => {
  it("plans with the built-in priors when nothing is configured (level-1 sleep 10 s, cold start 60 s)", async () => {
    h = harness({ config: config() });
    // a's 40-token request (1 s at 40 tokens/s) + a's sleep (10 s) + b's cold start (60 s) + the request ahead (20 s).
    expect(await estimateForB(h)).toBe(91);
  });

  it("plans with a model's expected_costs before a measurement and with the measured cost after", async () => {
    h = harness({ config: config({ a: { sleep_secs: { "1": 3 } }, b: { cold_start_secs: 12 } }) });
    const hh = h;
    expect(hh.mux.snapshot().models.find((model) => model.name === "b")?.costs.priors.coldStart).toBe(12_000);
    // a's request (1 s) + a's sleep (3 s, configured) + b's cold start (12 s, configured) + the request ahead (20 s).
    expect(await estimateForB(hh)).toBe(36);
    // That switch measured a's sleep (1 s) and b's cold start (5 s): they replace the priors, which stay in view.
    const costs = hh.mux.snapshot().models.find((model) => model.name === "b")?.costs;
    expect(costs?.coldStartMs).toBe(5_000);
    expect(costs?.priors.coldStart).toBe(12_000);
    expect(await estimateForB(hh)).toBe(27);
  });

  it("counts what is left of a sleep under way: the next model's start waits for it", async () => {
    // a's level-1 sleep really takes 8 s and is expected to; b's cold start is expected to take 12 s.
    h = harness({ config: config({ a: { sleep_secs: { "1": 8 } }, b: { cold_start_secs: 12 } }), costs: { sleepMs: { 1: 8_000, 2: 200 } } });
    const hh = h;
    const held = track(hh.mux.acquire("a", { maxTokens: 40 }) as Promise<Lease>);
    while (!held.settled) await hh.clock.advance(100);
    const first = track(hh.mux.acquire("b", { maxTokens: 800 }));
    await hh.clock.settle();
    held.value?.release();
    const state = (name: string) => hh.mux.snapshot().models.find((model) => model.name === name)?.state;
    while (state("a") !== "sleeping") await hh.clock.advance(100);
    await hh.clock.advance(2_000);
    expect([state("a"), state("b")]).toEqual(["sleeping", "stopped"]);
    const refused = await expectCode(hh.mux.acquire("b", { maxTokens: 400 }), "LLMUX_ERR_OVERLOADED");
    // About 6 s left of a's sleep + b's cold start (12 s) + the request ahead (20 s); without the sleep, 32 s.
    const estimate = Number(/estimated wait is ([\d.]+) s/.exec(refused.message)?.[1]);
    expect(estimate).toBeGreaterThanOrEqual(37);
    expect(estimate).toBeLessThanOrEqual(38);
    while (!first.settled) await hh.clock.advance(100);
    expect(first.error).toBeUndefined();
    first.value?.release();
    await hh.clock.settle();
  });

  it("takes policy.expected_costs for every model, a model's own fields over it", async () => {
    const parsed = parseConfig({
      models: { a: { model_path: "org/a", expected_costs: { sleep_secs: { "1": 3 } } }, b: { model_path: "org/b" } },
      policy: { expected_costs: { cold_start_secs: 20, sleep_secs: { "1": 2, "2": 0.1 } } },
    });
    h = harness({ config: parsed });
    const priors = Object.fromEntries(h.mux.snapshot().models.map((model) => [model.name, model.costs.priors]));
    expect(priors["a"]).toEqual({ sleep1: 3_000, sleep2: 100, wake1: 1_000, wake2: 5_000, coldStart: 20_000, stop: 2_000 });
    expect(priors["b"]).toEqual({ sleep1: 2_000, sleep2: 100, wake1: 1_000, wake2: 5_000, coldStart: 20_000, stop: 2_000 });
  });

  it("a reload applies new expected_costs at once: the awake model keeps running, nothing waits for a restart", async () => {
    h = harness({ config: config({ b: { cold_start_secs: 12 } }) });
    const hh = h;
    const lease = track(hh.mux.acquire("a", { maxTokens: 40 }) as Promise<Lease>);
    while (!lease.settled) await hh.clock.advance(100);
    const report = hh.mux.reconfigure(config({ a: { sleep_secs: { "1": 2 } }, b: { cold_start_secs: 30 } }));
    expect(report).toMatchObject({ changed: [], unchanged: ["a", "b"] });
    const models = hh.mux.snapshot().models;
    expect(models.map((model) => [model.name, model.state, model.settings_pending, model.costs.priors.sleep1, model.costs.priors.coldStart])).toEqual([
      ["a", "awake", false, 2_000, 60_000],
      ["b", "stopped", false, 10_000, 30_000],
    ]);
    lease.value?.release();
  });
});
