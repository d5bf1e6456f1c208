import type { SimEvent } from "@llmux/vllm-sim/testing";

export interface LogVerdict {
  /** Crashes caused by llmux (a request while asleep, a sleep with requests running). */
  forbiddenCrashes: SimEvent[];
  /** Requests that entered an engine while it was asleep (per the log's own order). */
  requestsWhileAsleep: number;
  /** Sleeps that started while requests were running. */
  sleepsWhileRunning: number;
  counts: Record<string, number>;
  crashReasons: Record<string, number>;
}

/**
 * Replay the event log per process and check the two things that crash a
 * real v0.13 server (vLLM #15483, #28714): a generation request reaching a
 * sleeping engine, and `/sleep` with requests running.
 */
export function checkLog(events: SimEvent[]): LogVerdict {
  const asleep = new Map<number, boolean>();
  const running = new Map<number, number>();
  const counts: Record<string, number> = {};
  const crashReasons: Record<string, number> = {};
  const forbiddenCrashes: SimEvent[] = [];
  let requestsWhileAsleep = 0;
  let sleepsWhileRunning = 0;
  for (const event of events) {
    counts[event.event] = (counts[event.event] ?? 0) + 1;
    const pid = event.pid;
    switch (event.event) {
      case "request_start":
        if (asleep.get(pid) === true) requestsWhileAsleep++;
        running.set(pid, (running.get(pid) ?? 0) + 1);
        break;
      case "request_end":
        running.set(pid, Math.max(0, (running.get(pid) ?? 0) - 1));
        break;
      case "sleep":
        if ((running.get(pid) ?? 0) > 0) sleepsWhileRunning++;
        asleep.set(pid, true);
        break;
      case "wake":
        asleep.set(pid, event["is_sleeping"] === true);
        break;
      case "crash": {
        const reason = String(event["reason"]);
        crashReasons[reason] = (crashReasons[reason] ?? 0) + 1;
        if (reason === "request_while_asleep" || reason === "sleep_with_running_requests") forbiddenCrashes.push(event);
        break;
      }
    }
  }
  return { forbiddenCrashes, requestsWhileAsleep, sleepsWhileRunning, counts, crashReasons };
}
