import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What one live simulator process holds: MiB per GPU index. */
export interface GpuRecord {
  pid: number;
  model: string;
  gpus: number[];
  /** GPU index (as a string key) → MiB used by this process. */
  usedMib: Record<string, number>;
}

/** True when a process with this pid exists (EPERM means it exists but is not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Records of live processes only: a record left by a killed process never counts. */
export function readLiveRecords(stateDir: string): GpuRecord[] {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return [];
  }
  const records: GpuRecord[] = [];
  for (const name of names) {
    if (!/^\d+\.json$/.test(name)) continue;
    try {
      const record = JSON.parse(readFileSync(join(stateDir, name), "utf8")) as GpuRecord;
      if (typeof record.pid === "number" && isAlive(record.pid)) records.push(record);
    } catch {
      // A file being replaced or a stray file: skip it.
    }
  }
  return records;
}

/** MiB used on each GPU index by live processes, optionally leaving one pid out. */
export function usedPerGpu(stateDir: string, gpuCount: number, excludePid?: number): number[] {
  const used = Array.from({ length: gpuCount }, () => 0);
  for (const record of readLiveRecords(stateDir)) {
    if (record.pid === excludePid) continue;
    for (const [index, mib] of Object.entries(record.usedMib)) {
      const i = Number(index);
      if (i >= 0 && i < gpuCount) used[i] = (used[i] ?? 0) + mib;
    }
  }
  return used;
}

/** Write this process's record atomically (temp file + rename) so readers never see half a file. */
export function writeRecord(stateDir: string, record: GpuRecord): void {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, `${record.pid}.json`);
  const temp = `${path}.${Date.now()}.tmp`;
  writeFileSync(temp, JSON.stringify(record));
  renameSync(temp, path);
}

export function removeRecord(stateDir: string, pid: number): void {
  rmSync(join(stateDir, `${pid}.json`), { force: true });
}
