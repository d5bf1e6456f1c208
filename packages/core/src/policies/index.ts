import type { PolicyType } from "../config/types.js";
import type { Policy } from "../policy.js";
import { costAwarePolicy } from "./cost-aware.js";
import { fifoPolicy } from "./fifo.js";
import { timeSlicePolicy } from "./time-slice.js";

export { costAwarePolicy } from "./cost-aware.js";
export { fifoPolicy } from "./fifo.js";
export { timeSlicePolicy } from "./time-slice.js";
export { bringUpCostMs, evictionCostMs, switchCostMs } from "./estimate.js";

export const POLICIES: Record<PolicyType, Policy> = { fifo: fifoPolicy, cost_aware: costAwarePolicy, time_slice: timeSlicePolicy };

export function policyFor(type: PolicyType): Policy {
  return POLICIES[type];
}
