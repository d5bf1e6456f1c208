import { readFileSync, readdirSync } from "node:fs";

/**
 * Pids of the live processes whose environment holds `name=value`. Children
 * inherit the environment, so a marker set for one run finds everything that
 * run started, however deep, and nothing else on the machine.
 */
export function processesMarked(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "latin1");
    } catch {
      continue; // gone already, or not ours to read
    }
    if (environ.split("\0").includes(needle)) pids.push(Number(entry));
  }
  return pids;
}
