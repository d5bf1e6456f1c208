import { cpuSeconds, treeCpuSeconds } from "./proc-stats.js";

/** Measures the CPU a proxy spends during a run: nginx counts its workers, llmux only itself (its children are the upstream). */
export function cpuMeter(pid: number | undefined, includeChildren: boolean): () => number {
  if (pid === undefined) return () => Number.NaN;
  const read = (): number => (includeChildren ? treeCpuSeconds(pid) : cpuSeconds(pid));
  const before = read();
  return () => read() - before;
}
