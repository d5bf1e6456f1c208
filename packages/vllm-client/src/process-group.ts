import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";

/**
 * Signals every process of the group led by `pid` (the engine was spawned
 * detached, so its pid is its group id). Returns false when the group is gone.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    // EPERM: a member we may not signal; the group still exists.
    if ((error as NodeJS.ErrnoException).code === "EPERM") return true;
    throw error;
  }
}

/**
 * True while a live (non-zombie) process of the group led by `pid` exists.
 * Members orphaned by the leader's exit are reparented to init, and an init
 * that reaps lazily (containers) leaves them as zombies for a while: they
 * hold no memory, so on Linux they do not count. Elsewhere any member counts.
 */
export function groupAlive(pid: number): boolean {
  if (!signalGroup(pid, 0)) return false;
  const states = groupStates(pid);
  return states === undefined || states.some((state) => state !== "Z" && state !== "X");
}

/** The states (`R`, `S`, `Z`, …) of the group's members from `/proc`, or undefined where `/proc` cannot be read. */
function groupStates(pgid: number): string[] | undefined {
  return scanGroup(pgid)?.map((member) => member.state);
}

/** The pids of the group's members (zombies included) from `/proc`, or undefined where `/proc` cannot be read. */
export function groupMembers(pgid: number): number[] | undefined {
  return scanGroup(pgid)?.map((member) => member.pid);
}

function scanGroup(pgid: number): Array<{ pid: number; state: string }> | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  const members: Array<{ pid: number; state: string }> = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== undefined) members.push({ pid: Number(entry), state: fields[0] });
  }
  return members;
}

/**
 * Waits until the group led by `pid` is gone, polling; after `timeoutMs`
 * SIGKILLs it and keeps waiting up to `killWaitMs` more. Returns whether the
 * group is gone. vLLM's leader may exit before its EngineCore/worker children,
 * and those hold the GPU: the group, not the leader, must be gone.
 */
export async function waitGroupGone(pid: number, timeoutMs: number, killWaitMs = 5_000, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() >= deadline) {
      signalGroup(pid, "SIGKILL");
      const killDeadline = Date.now() + killWaitMs;
      while (groupAlive(pid)) {
        if (Date.now() >= killDeadline) return false;
        await delay(intervalMs);
      }
      return true;
    }
    await delay(intervalMs);
  }
  return true;
}
