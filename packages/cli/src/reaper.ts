import { setTimeout as sleep } from "node:timers/promises";
import { recordedSocketDir, removeSocketDir } from "@llmux/vllm-client";
import { commandLineMatches, isAlive, isGroupAlive, listPids, readCommandLine, readProcessGroup, readStartTime } from "./proc-info.js";
import type { ProcessRecord, StateFileContent } from "./state-file.js";

/** What the reaper did with one recorded group. */
export interface ReapOutcome {
  record: ProcessRecord;
  action: "gone" | "mismatch" | "terminated" | "killed" | "failed";
  detail?: string;
}

export interface ReapOptions {
  /** Time between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** Poll interval while waiting for a group to go. */
  pollMs?: number;
}

/**
 * True when `record`'s group leader is still the process llmux started: same
 * start time when one was recorded, and a command line that still matches.
 */
export function leaderMatches(record: ProcessRecord): { matches: boolean; reason?: string } {
  const live = readCommandLine(record.pid);
  if (live === undefined || !isAlive(record.pid)) return { matches: false, reason: "not running" };
  if (record.startTime !== undefined && readStartTime(record.pid) !== record.startTime) {
    return { matches: false, reason: "pid reused by another process (start time differs)" };
  }
  if (!commandLineMatches(record.argv, live)) {
    return { matches: false, reason: `pid runs something else: ${live.join(" ")}` };
  }
  return { matches: true };
}

/**
 * The live members of a recorded group whose leader is gone. A pgid cannot be
 * handed to a new group while any member of the old one lives, so members
 * started at or after the recorded leader are the ones llmux's vLLM forked
 * (its engine-core workers).
 */
function orphanedMembers(record: ProcessRecord): number[] {
  if (record.startTime === undefined) return [];
  const leaderStart = Number(record.startTime);
  return listPids().filter((pid) => {
    if (pid === process.pid || readProcessGroup(pid) !== record.pgid) return false;
    const start = readStartTime(pid);
    return start !== undefined && Number(start) >= leaderStart && isAlive(pid);
  });
}

/**
 * Stop the vLLM process groups a previous llmux recorded and left behind.
 * Touches a group only when its leader still matches the record (or, if the
 * leader is gone, only the group's members started after it); anything else
 * is reported and left alone.
 */
export async function reapOrphans(content: StateFileContent, options: ReapOptions = {}): Promise<ReapOutcome[]> {
  const graceMs = options.graceMs ?? 10_000;
  const pollMs = options.pollMs ?? 50;
  const outcomes: ReapOutcome[] = [];
  for (const record of content.processes) {
    const leader = leaderMatches(record);
    let targets: number[];
    if (leader.matches) {
      targets = [-record.pgid];
    } else {
      const members = isAlive(record.pid) ? [] : orphanedMembers(record);
      if (members.length === 0) {
        outcomes.push({
          record,
          action: isAlive(record.pid) ? "mismatch" : "gone",
          ...(leader.reason === undefined ? {} : { detail: leader.reason }),
        });
        continue;
      }
      targets = members;
    }
    outcomes.push({ record, ...(await terminate(targets, graceMs, pollMs)) });
  }
  for (const outcome of outcomes) {
    // The engine's socket directory outlives a llmux that was SIGKILLed; it goes once its group does.
    if (outcome.action === "mismatch" || outcome.action === "failed") continue;
    const dir = recordedSocketDir(outcome.record.argv);
    if (dir !== undefined) removeSocketDir(dir);
  }
  return outcomes;
}

async function terminate(targets: number[], graceMs: number, pollMs: number): Promise<{ action: ReapOutcome["action"]; detail?: string }> {
  signal(targets, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!targets.some(isTargetAlive)) return { action: "terminated" };
    await sleep(pollMs);
  }
  signal(targets, "SIGKILL");
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline) {
    if (!targets.some(isTargetAlive)) return { action: "killed" };
    await sleep(pollMs);
  }
  return { action: "failed", detail: "still running after SIGKILL" };
}

function signal(targets: number[], name: NodeJS.Signals): void {
  for (const target of targets) {
    try {
      process.kill(target, name);
    } catch {
      // Already gone.
    }
  }
}

function isTargetAlive(target: number): boolean {
  return target < 0 ? isGroupAlive(-target) : isAlive(target);
}
