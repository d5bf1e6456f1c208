import { type FamilyTrace, type LlmuxConfig, type TraceRequest, familyConfig } from "@llmux/core";

/** How a member of the grid treats the generations still running when its model is due to switch away. */
export type PauseMode =
  /** Waits for them (no `max_drain_secs`). */
  | { kind: "drain" }
  /** Pauses the resumable ones after `drainSecs` of drain when the policy finds pausing pays. */
  | { kind: "pause"; drainSecs: number; preemptions: number }
  /** `drain_before_switch: false`: pauses every resumable one when the switch starts. */
  | { kind: "at-once"; preemptions: number };

/** One point of the design space. */
export interface GridMember {
  policy: "time_slice" | "cost_aware";
  maxWaitSecs: number;
  /** Requests llmux lets into each vLLM at once (`max_concurrency`). */
  maxConcurrency: number;
  pause: PauseMode;
  /** Every request carries its true output length as `max_tokens`: admission estimates without error. */
  clairvoyant: boolean;
}

/** A short, stable name for a member, as the report prints it. */
export function memberLabel(member: GridMember): string {
  const pause =
    member.pause.kind === "drain"
      ? "drain"
      : member.pause.kind === "pause"
        ? `pause d${member.pause.drainSecs} p${member.pause.preemptions}`
        : `at-once p${member.pause.preemptions}`;
  const policy = member.policy === "time_slice" ? "ts" : "ca";
  return `${policy} w${member.maxWaitSecs} c${member.maxConcurrency} ${pause}${member.clairvoyant ? " clairvoyant" : ""}`;
}

/** The member that drains at the same `max_wait_secs`, admission limit, policy and knowledge: what #18 compares pausing with. */
export function drainOnlyTwin(member: GridMember): GridMember {
  return { ...member, pause: { kind: "drain" } };
}

const WAITS = [15, 30, 60, 120, 240] as const;
const LIMITS = [16, 64, 256] as const;
/** The shipped +pause settings (the held-out table's): pause after 1 s, once per request. */
const SHIPPED_PAUSE: PauseMode = { kind: "pause", drainSecs: 1, preemptions: 1 };
const OTHER_PAUSES: readonly PauseMode[] = [
  { kind: "pause", drainSecs: 0, preemptions: 1 },
  { kind: "pause", drainSecs: 5, preemptions: 1 },
  { kind: "pause", drainSecs: 15, preemptions: 1 },
  { kind: "pause", drainSecs: 1, preemptions: 3 },
  { kind: "at-once", preemptions: 1 },
  { kind: "at-once", preemptions: 3 },
];

/**
 * The grid, sized to run the busy traces of four seeds in about 20 minutes of
 * one core (one run of a 2,700-request trace takes about 1.3 s): every
 * `max_wait_secs` with every admission limit, drain-only and the shipped
 * +pause; the other pause settings at the default limit (64, vLLM's batch
 * in the family); `cost_aware` and the clairvoyant variant drain-only and
 * +pause at the default limit.
 */
export function policyGrid(): GridMember[] {
  const members: GridMember[] = [];
  const base = { policy: "time_slice", clairvoyant: false } as const;
  for (const maxWaitSecs of WAITS) {
    for (const maxConcurrency of LIMITS) {
      for (const pause of [{ kind: "drain" } as const, SHIPPED_PAUSE]) members.push({ ...base, maxWaitSecs, maxConcurrency, pause });
    }
    for (const pause of OTHER_PAUSES) members.push({ ...base, maxWaitSecs, maxConcurrency: 64, pause });
    for (const pause of [{ kind: "drain" } as const, SHIPPED_PAUSE]) {
      members.push({ policy: "cost_aware", clairvoyant: false, maxWaitSecs, maxConcurrency: 64, pause });
      members.push({ ...base, clairvoyant: true, maxWaitSecs, maxConcurrency: 64, pause });
    }
  }
  return members;
}

/** The config a member runs `family` with: the family's config with the member's policy knobs and admission limit. */
export function memberConfig(family: FamilyTrace, member: GridMember): LlmuxConfig {
  const pause = member.pause;
  const policy: Record<string, unknown> = { max_wait_secs: member.maxWaitSecs };
  if (pause.kind === "pause") Object.assign(policy, { max_drain_secs: pause.drainSecs, max_preemptions: pause.preemptions });
  if (pause.kind === "at-once") Object.assign(policy, { drain_before_switch: false, max_preemptions: pause.preemptions });
  const config = familyConfig(family, policy);
  const models = Object.fromEntries(Object.entries(config.models).map(([name, model]) => [name, { ...model, max_concurrency: member.maxConcurrency }]));
  return { ...config, models };
}

/** The requests a member sees: the trace, or with each request's true output length as its `max_tokens` (clairvoyant). */
export function memberTrace(family: FamilyTrace, member: GridMember): TraceRequest[] {
  return member.clairvoyant ? family.requests.map((request) => ({ ...request, max_tokens: request.tokens })) : family.requests;
}
