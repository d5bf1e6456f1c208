import { readdirSync, readFileSync } from "node:fs";

/**
 * Read-only views of `/proc` used to recognise a process llmux started. On a
 * system without `/proc` every reader answers `undefined`, and the reaper then
 * refuses to touch anything: it never signals a process it cannot identify.
 */

/**
 * The fields of `/proc/<pid>/stat` from field 3 (state) on. Field 2 (comm) is
 * in parentheses and may itself hold spaces or ")": split after the last ")".
 */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(")");
  return close < 0 ? undefined : stat.slice(close + 2).split(" ");
}

function numericField(pid: number, index: number): number | undefined {
  const value = statFields(pid)?.[index];
  return value === undefined ? undefined : Number(value);
}

/**
 * The process's start time (field 22, clock ticks since boot). Together with
 * the pid it names one process for the life of the machine: a reused pid has
 * a later start time.
 */
export function readStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** The process's state letter (field 3): `Z` for a zombie. */
export function readState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** The process group of `pid` (field 5). */
export function readProcessGroup(pid: number): number | undefined {
  return numericField(pid, 2);
}

/** The process's argv from `/proc/<pid>/cmdline`; empty for a zombie. */
export function readCommandLine(pid: number): string[] | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return undefined;
  }
  const parts = raw.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** Every pid under `/proc`, for finding the members of a process group. */
export function listPids(): number[] {
  try {
    return readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * True when the live command line is the recorded one, allowing for what the
 * kernel and interpreters do to argv: a script run through its shebang shows
 * up as `python3 /usr/bin/vllm serve …` or `node …/cli.js serve …`. So the
 * recorded arguments must be the tail of the live ones, and the recorded
 * command (or its file name) must appear just before them.
 */
export function commandLineMatches(recorded: readonly string[], live: readonly string[]): boolean {
  if (recorded.length === 0 || live.length < recorded.length) return false;
  const [command, ...args] = recorded;
  const tail = live.slice(live.length - args.length);
  if (args.some((arg, index) => tail[index] !== arg)) return false;
  const head = live.slice(0, live.length - args.length);
  const base = baseName(command ?? "");
  return head.some((item) => item === command || baseName(item) === base);
}

function baseName(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? path : path.slice(slash + 1);
}

/** True when a process (or, for a negative pid, a process group) exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  if (pid > 0 && readState(pid) === "Z") return false;
  return true;
}

/**
 * True when a process group has a member that is not a zombie. A zombie whose
 * parent died waits for init to reap it, and some container inits never do, so
 * `kill(-pgid, 0)` alone would report a dead group as alive.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!isAlive(-pgid)) return false;
  const pids = listPids();
  // Without /proc, trust kill(2).
  if (pids.length === 0) return true;
  return pids.some((pid) => readProcessGroup(pid) === pgid && readState(pid) !== "Z");
}

/** Every live descendant of `pid` (children, grandchildren, ...), found by scanning `/proc`. */
export function descendants(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const candidate of listPids()) {
    const parent = numericField(candidate, 1);
    if (parent === undefined) continue;
    byParent.set(parent, [...(byParent.get(parent) ?? []), candidate]);
  }
  const found: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const child of byParent.get(stack.pop() as number) ?? []) {
      found.push(child);
      stack.push(child);
    }
  }
  return found;
}
