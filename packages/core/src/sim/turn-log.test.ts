import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/parse-config.js";
import type { MuxEvent } from "../events.js";
import type { ModelState } from "../model-state.js";
import { TurnLog } from "./turn-log.js";

const config = parseConfig({
  models: {
    a: { model_path: "sim/a", port: 8001, max_concurrency: 2 },
    b: { model_path: "sim/b", port: 8002, max_concurrency: 2 },
  },
});

const state = (model: string, at: number, to: ModelState): MuxEvent => ({ type: "state", model, from: "asleep", to, at, durationMs: 0 });
const queued = (model: string, at: number): MuxEvent => ({ type: "queued", model, at, queueDepth: 0 });
const admitted = (model: string, at: number): MuxEvent => ({ type: "admitted", model, at, waitMs: 0 });

/** W 10 s, longest generation 100 s, longest switch 5 s, 2 models. */
const over = (log: TurnLog, model: string, arrivedAt: number, admittedAt: number) => log.over({ model, arrivedAt, admittedAt }, 10_000, 100_000, 5_000, 2);

describe("TurnLog", () => {
  it("counts a turn that began with one batch waiting as one switch and one generation", () => {
    const log = new TurnLog(config);
    for (const event of [
      queued("b", 0),
      queued("b", 0),
      state("b", 1_000, "awake"),
      queued("a", 2_000),
      state("b", 100_000, "draining"),
      state("b", 101_000, "sleeping"),
    ])
      log.observe(event);
    log.observe(state("a", 106_000, "awake"));
    log.observe(admitted("a", 106_000));
    // b's turn from 1 s to 101 s: a's bound is 10 + 5 + 100 = 115 s.
    expect(over(log, "a", 2_000, 106_000)).toBe(false);
    expect(over(log, "a", 2_000, 118_000)).toBe(true);
  });

  it("gives a turn that began with more than one batch waiting a generation per batch", () => {
    const log = new TurnLog(config);
    for (let i = 0; i < 5; i++) log.observe(queued("b", 0));
    for (const event of [state("b", 1_000, "awake"), queued("a", 2_000), state("b", 250_000, "sleeping"), state("a", 255_000, "awake")]) log.observe(event);
    // Five waiting at b's wake, two at once: three batches, so 10 + 5 + 300 s.
    expect(over(log, "a", 2_000, 255_000)).toBe(false);
    expect(over(log, "a", 2_000, 320_000)).toBe(true);
  });

  it("does not take a request refused at once as overload off the queue it never joined", () => {
    const log = new TurnLog(config);
    for (let i = 0; i < 3; i++) log.observe(queued("b", 0));
    log.observe({ type: "rejected", model: "b", at: 500, waitMs: 0, code: "LLMUX_ERR_OVERLOADED" });
    for (const event of [state("b", 1_000, "awake"), queued("a", 2_000), state("b", 200_000, "sleeping"), state("a", 205_000, "awake")]) log.observe(event);
    // Three still waiting at b's wake, two at once: two batches, so 10 + 5 + 200 s.
    expect(over(log, "a", 2_000, 205_000)).toBe(false);
    expect(over(log, "a", 2_000, 220_000)).toBe(true);
  });

  it("gives a request a generation per batch ahead of it in its own turn, and none when it went in with the first", () => {
    const log = new TurnLog(config);
    for (let i = 0; i < 3; i++) log.observe(queued("a", 0));
    log.observe(state("a", 5_000, "awake"));
    // Two batches waiting at a's wake: one generation ahead of the last.
    expect(over(log, "a", 0, 105_000)).toBe(false);
    expect(over(log, "a", 0, 111_000)).toBe(true);
  });

  it("gives a request held by the plan in its model's turn the turn's generations", () => {
    const log = new TurnLog(config);
    log.observe(queued("a", 0));
    log.observe(state("a", 1_000, "awake"));
    // Arrived during a's one-batch turn and held: up to the turn's end, one generation past its due time (10 + 100 s).
    expect(over(log, "a", 2_000, 100_000)).toBe(false);
    expect(over(log, "a", 2_000, 113_000)).toBe(true);
  });

  it("counts a wait through more turns than there are models as over, however short", () => {
    const log = new TurnLog(config);
    const turns: [string, number, number][] = [
      ["b", 1_000, 2_000],
      ["a", 3_000, 4_000],
      ["b", 5_000, 6_000],
    ];
    for (const [model, woke, slept] of turns) {
      log.observe(state(model, woke, "awake"));
      log.observe(state(model, slept, "sleeping"));
    }
    log.observe(state("a", 7_000, "awake"));
    // Waiting from 0.5 s for a: through b, a (not admitted), b: three turns with two models.
    expect(over(log, "a", 500, 7_000)).toBe(true);
    expect(over(log, "a", 4_500, 7_000)).toBe(false);
  });
});
