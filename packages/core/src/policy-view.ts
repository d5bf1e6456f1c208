import { cloneCosts } from "./costs.js";
import type { MuxState } from "./mux-state.js";
import type { PolicyModelView, PolicyView } from "./policy.js";
import type { Slot } from "./slot.js";
import { placeInView } from "./placement.js";

/** What a policy sees: copies, so a policy cannot change the multiplexer. */
export function buildPolicyView(mux: MuxState, wanted?: string): PolicyView {
  const now = mux.clock.now();
  const view: PolicyView & { models: PolicyModelView[] } = {
    now,
    config: mux.config.policy,
    reserveFraction: mux.config.gpu.sleep_reserve_gib / mux.config.gpu.memory_gib,
    lockedGpus: new Set(mux.lockedGpus),
    models: [...mux.slots.values()].map((slot) => ({
      name: slot.name,
      state: slot.state,
      sleepLevel: slot.config.sleep_level,
      asleepLevel: slot.asleepLevel,
      gpus: [...slot.config.gpus],
      fraction: slot.fraction,
      inFlight: slot.leases.size,
      awakeSince: slot.awakeSince,
      lastAdmitAt: slot.lastAdmitAt,
      // Not copied: policies are synchronous and only read it.
      queue: slot.waiters.arrivals,
      costs: cloneCosts(slot.costs),
      admitLimit: slot.admitLimit,
      inFlightEndsAt: inFlightEndsAt(slot),
      pausableSince: pausableSince(slot),
      drain: slot.service.drain(),
      heldP90Ms: slot.service.heldP90(),
      maxDrainSecs: slot.config.max_drain_secs,
      busy: slot.busy,
      inBackoff: slot.backoffUntil > now,
      pinned: slot.config.pinned,
      priority: slot.config.priority,
    })),
  };
  // Where a stopped model without fixed `gpus` would start: the policy plans with that choice.
  placeInView(mux, view, wanted);
  return view;
}

function inFlightEndsAt(slot: Slot): number | null {
  let end: number | null = null;
  for (const lease of slot.leases) if (end === null || lease.expectedEndAt > end) end = lease.expectedEndAt;
  return end;
}

function pausableSince(slot: Slot): number | null {
  let since: number | null = null;
  for (const lease of slot.leases) if (lease.preemptible && (since === null || lease.arrivedAt < since)) since = lease.arrivedAt;
  return since;
}
