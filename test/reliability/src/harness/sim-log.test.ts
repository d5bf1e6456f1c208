import { describe, expect, test } from "vitest";
import type { SimEvent } from "@llmux/vllm-sim/testing";
import { checkLog } from "./sim-log.js";

// The suite's verdicts must be able to fail: replay hand-written logs.
const at = (pid: number, event: SimEvent["event"], extra: Record<string, unknown> = {}): SimEvent => ({ t: 0, pid, model: "m", event, ...extra });

describe("checkLog", () => {
  test("a clean switch passes", () => {
    const verdict = checkLog([
      at(1, "ready"),
      at(1, "request_start", { id: "a" }),
      at(1, "request_end", { id: "a", outcome: "completed" }),
      at(1, "sleep", { level: 1 }),
      at(1, "wake", { is_sleeping: false }),
      at(1, "request_start", { id: "b" }),
      at(1, "request_end", { id: "b", outcome: "completed" }),
    ]);
    expect(verdict).toMatchObject({ forbiddenCrashes: [], requestsWhileAsleep: 0, sleepsWhileRunning: 0 });
    expect(verdict.counts).toMatchObject({ request_start: 2, sleep: 1 });
  });

  test("a request after a sleep, before the wake, is caught", () => {
    const verdict = checkLog([at(1, "sleep", { level: 2 }), at(1, "wake", { is_sleeping: true }), at(1, "request_start", { id: "a" })]);
    expect(verdict.requestsWhileAsleep).toBe(1);
  });

  test("a sleep with a request running is caught, per process", () => {
    const verdict = checkLog([at(1, "request_start", { id: "a" }), at(2, "sleep", { level: 1 }), at(1, "sleep", { level: 1 })]);
    expect(verdict.sleepsWhileRunning).toBe(1);
  });

  test("crashes llmux caused are told from injected ones", () => {
    const verdict = checkLog([
      at(1, "crash", { reason: "fault" }),
      at(2, "crash", { reason: "request_while_asleep" }),
      at(3, "crash", { reason: "sleep_with_running_requests" }),
    ]);
    expect(verdict.forbiddenCrashes.map((event) => event.pid)).toEqual([2, 3]);
    expect(verdict.crashReasons).toEqual({ fault: 1, request_while_asleep: 1, sleep_with_running_requests: 1 });
  });
});
