import { hotSetTrace } from "@llmux/core";
import { describe, expect, it } from "vitest";
import { llmuxAvailable } from "../llmux.js";
import { FLEET_KNOBS } from "../scenarios/fleet.js";
import { runFleet } from "./run-fleet.js";

// A small fleet (2 pods, 4 models, 2 in favour at a time) on a seed of its own,
// neither a tuning seed nor the held-out one. Only the qualitative result is
// asserted (nothing lost, fewer switches than round-robin); the full-size
// figures come from `pnpm bench --only fleet`. The pods run the shipped pool
// policy, scaled to the simulated switch.
const MODELS = ["m0", "m1", "m2", "m3"];
const trace = hotSetTrace({ seed: 7, models: MODELS, hotCount: 2, durationSecs: 20, ratePerSec: 4, periodSecs: 10, dominance: 0.95 });

describe.skipIf(!llmuxAvailable())("a fleet of llmux pods behind the metric picker", () => {
  it("loses nothing and switches less than round-robin on the same trace", async () => {
    const common = { pods: 2, models: MODELS, trace, knobs: FLEET_KNOBS };
    const roundRobin = await runFleet({ ...common, router: "round-robin" });
    const picker = await runFleet({ ...common, router: "metric picker", seed: 7 });
    expect(picker.lost, picker.firstError).toBe(0);
    expect(roundRobin.lost, roundRobin.firstError).toBe(0);
    expect(picker.requests).toBe(trace.length);
    expect(roundRobin.switches).toBeGreaterThan(0);
    expect(picker.switches).toBeLessThan(roundRobin.switches);
  }, 300_000);
});
