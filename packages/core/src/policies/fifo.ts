import { planEvictions } from "../budget.js";
import { candidates, type Policy, type PolicyDecision, type PolicyView } from "../policy.js";
import { minActiveUntil } from "./estimate.js";

/**
 * The original llmux behaviour: the oldest waiting request decides the next
 * model, as soon as it can be brought up (a higher `priority` goes first). `min_active_secs` keeps a freshly
 * woken model awake that long (anti-thrash).
 */
export const fifoPolicy: Policy = {
  name: "fifo",
  decide(view: PolicyView): PolicyDecision {
    const waiting = candidates(view).sort((a, b) => b.priority - a.priority || (a.queue[0] ?? 0) - (b.queue[0] ?? 0));
    const oldest = waiting[0];
    // Strict order within a priority: a request older than every candidate's
    // (its model busy switching, or awake with its admission limit reached)
    // keeps its turn.
    const oldestOverall = Math.min(
      ...view.models.filter((m) => m.queue.length > 0 && m.priority >= (oldest?.priority ?? -Infinity)).map((m) => m.queue[0] ?? Infinity),
    );
    if (!oldest || (oldest.queue[0] ?? 0) > oldestOverall) return { action: "wait" };
    const evict = planEvictions(view, oldest);
    if (!evict) return { action: "wait" };
    const until = minActiveUntil(view, evict);
    if (until !== undefined) return { action: "wait", recheckAt: until };
    return { action: "switch", model: oldest.name, evict, reason: "oldest waiting request" };
  },
};
