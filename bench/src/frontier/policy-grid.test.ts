import { familyTrace } from "@llmux/core";
import { describe, expect, it } from "vitest";
import { drainOnlyTwin, memberConfig, memberLabel, memberTrace, policyGrid } from "./policy-grid.js";

describe("the policy grid", () => {
  it("names every member apart and gives each pausing member its drain-only twin", () => {
    const grid = policyGrid();
    const labels = new Set(grid.map(memberLabel));
    expect(labels.size).toBe(grid.length);
    for (const member of grid) expect(labels.has(memberLabel(drainOnlyTwin(member)))).toBe(true);
  });

  it("runs a member with its knobs and, clairvoyant, with each request's true length as max_tokens", () => {
    const family = familyTrace("light-two", 1, { durationSecs: 60 });
    const atOnce = memberConfig(family, {
      policy: "time_slice",
      maxWaitSecs: 15,
      maxConcurrency: 16,
      pause: { kind: "at-once", preemptions: 3 },
      clairvoyant: false,
    });
    expect(atOnce.policy.drain_before_switch).toBe(false);
    expect(atOnce.policy.max_preemptions).toBe(3);
    expect(atOnce.policy.max_wait_secs).toBe(15);
    expect(Object.values(atOnce.models).map((model) => model.max_concurrency)).toEqual([16, 16]);
    const pausing = memberConfig(family, {
      policy: "cost_aware",
      maxWaitSecs: 60,
      maxConcurrency: 64,
      pause: { kind: "pause", drainSecs: 5, preemptions: 1 },
      clairvoyant: true,
    });
    expect(Object.values(pausing.models).map((model) => model.max_drain_secs)).toEqual([5, 5]);
    expect(pausing.policy.drain_before_switch).toBe(true);
    const member = { policy: "time_slice", maxWaitSecs: 60, maxConcurrency: 64, pause: { kind: "drain" }, clairvoyant: true } as const;
    const trace = memberTrace(family, member);
    expect(trace.length).toBe(family.requests.length);
    expect(trace.every((request) => request.max_tokens === request.tokens)).toBe(true);
    expect(family.requests.some((request) => request.max_tokens !== request.tokens)).toBe(true);
    expect(memberTrace(family, { ...member, clairvoyant: false })).toBe(family.requests);
  });
});
