import { readFileSync } from "node:fs";
import { descendants } from "@llmux/cli/testing";

/** Linux clock ticks per second (`getconf CLK_TCK`); 100 on every kernel we run on. */
const CLOCK_TICKS_PER_SECOND = 100;

interface StatFields {
  ppid: number;
  utimeTicks: number;
  stimeTicks: number;
}

/** Parse /proc/<pid>/stat text. The command name may hold spaces and parentheses, so split after the last ')'. */
export function parseStat(text: string): StatFields {
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return {
    ppid: Number(rest[1]),
    utimeTicks: Number(rest[11]),
    stimeTicks: Number(rest[12]),
  };
}

function readStat(pid: number): StatFields | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds a process has used itself (not its children). */
export function cpuSeconds(pid: number): number {
  const stat = readStat(pid);
  if (!stat) return Number.NaN;
  return (stat.utimeTicks + stat.stimeTicks) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds of a process and all of its descendants (nginx: master plus workers). */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const child of descendants(pid)) {
    const seconds = cpuSeconds(child);
    if (Number.isFinite(seconds)) total += seconds;
  }
  return total;
}

/** Resident set size in bytes (VmRSS), or NaN when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
