import { emptyCosts } from "../src/costs.js";
import type { PolicyModelView, PolicyView } from "../src/policy.js";

/** A policy's view of one model: stopped, level 1, on GPU 0, nothing queued; `overrides` on top. */
export function policyModel(name: string, overrides: Partial<PolicyModelView> = {}): PolicyModelView {
  return {
    name,
    state: "stopped",
    sleepLevel: 1,
    asleepLevel: null,
    gpus: [0],
    fraction: 0.6,
    inFlight: 0,
    awakeSince: null,
    lastAdmitAt: null,
    queue: [],
    costs: emptyCosts(),
    admitLimit: 256,
    inFlightEndsAt: null,
    pausableSince: null,
    maxDrainSecs: null,
    drain: null,
    heldP90Ms: null,
    busy: false,
    inBackoff: false,
    pinned: false,
    priority: 0,
    ...overrides,
  };
}

/** What a policy decides from: `models` at `now`, an 80th of a GPU reserved per sleeper, `locked` GPUs mid-switch. */
export function policyView(now: number, models: PolicyModelView[], config: PolicyView["config"], locked: number[] = []): PolicyView {
  return { now, models, config, reserveFraction: 1 / 80, lockedGpus: new Set(locked) };
}
