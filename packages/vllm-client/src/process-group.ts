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

/** True while any process of the group led by `pid` exists (zombies included until reaped). */
export function groupAlive(pid: number): boolean {
  return signalGroup(pid, 0);
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
