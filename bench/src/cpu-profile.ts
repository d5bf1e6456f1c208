/** The parts of V8's .cpuprofile format (written by `node --cpu-prof`) that the summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }[];
  /** µs on the same clock as `process.hrtime` (CLOCK_MONOTONIC) on Linux. */
  startTime?: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Only count samples taken inside this window (µs, CLOCK_MONOTONIC), e.g. the load phase without start-up. */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

export interface HotFunction {
  name: string;
  where: string;
  /** Self time in ms. */
  selfMs: number;
  /** Share of the busy (non-idle) time, in %. */
  percent: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  functions: HotFunction[];
  /** Self time per origin: our packages by name, node internals, dependencies by package name. */
  origins: { origin: string; selfMs: number; percent: number }[];
  /** Functions of our own packages by inclusive time (self plus callees): where llmux's own code spends. */
  ours: HotFunction[];
}

/** "packages/proxy/src/forward.ts" → "@llmux/proxy"; node internals; dependencies by package. */
export function originOf(url: string, name: string): string {
  if (name === "(garbage collector)") return "GC";
  if (name === "(program)" || name === "(root)") return "V8/native";
  if (url === "") return "V8/native";
  if (url.startsWith("node:")) return "node internals";
  if (url.startsWith("wasm://")) return "wasm (undici's llhttp)";
  const ours = /packages\/([^/]+)\//.exec(url);
  const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency?.[1]) return dependency[1];
  if (ours?.[1]) return `@llmux/${ours[1]}`;
  return url.replace(/^file:\/\//, "");
}

function shortWhere(url: string, line: number): string {
  if (url === "") return "";
  const trimmed = url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, "")
    .replace(/^.*\/(packages\/)/, "$1");
  return `${trimmed}:${line + 1}`;
}

/** Self time per function from the samples, the hottest first. */
export function summarizeProfile(profile: CpuProfile, top = 15, window?: ProfileWindow): ProfileSummary {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // timeDeltas[i] is the time before sample i, so sample i ran for timeDeltas[i + 1].
    let at = profile.startTime ?? 0;
    for (let index = 0; index < samples.length; index++) {
      at += deltas[index] ?? 0;
      if (window && (at < window.fromUs || at > window.toUs)) continue;
      const id = samples[index] as number;
      const spent = deltas[index + 1] ?? 0;
      selfUs.set(id, (selfUs.get(id) ?? 0) + spent);
    }
  } else {
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * 1000);
  }
  const byFunction = new Map<string, { name: string; where: string; origin: string; us: number }>();
  let idleUs = 0;
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const name = node.callFrame.functionName || "(anonymous)";
    if (name === "(idle)") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const where = shortWhere(node.callFrame.url, node.callFrame.lineNumber);
    const key = `${name}@${where}`;
    const entry = byFunction.get(key) ?? { name, where, origin: originOf(node.callFrame.url, name), us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const percent = (us: number): number => (busyUs === 0 ? 0 : (us / busyUs) * 100);
  const functions = [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((entry) => ({ name: entry.name, where: entry.where, selfMs: entry.us / 1000, percent: percent(entry.us) }));
  const origins = new Map<string, number>();
  for (const entry of byFunction.values()) origins.set(entry.origin, (origins.get(entry.origin) ?? 0) + entry.us);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions,
    ours: inclusiveOurs(profile, selfUs, top).map((entry) => ({ ...entry, percent: percent(entry.selfMs * 1000) })),
    origins: [...origins.entries()].sort((a, b) => b[1] - a[1]).map(([origin, us]) => ({ origin, selfMs: us / 1000, percent: percent(us) })),
  };
}

/** Inclusive time of functions in our packages (`packages/<name>/`), each counted once per call path. */
function inclusiveOurs(profile: CpuProfile, selfUs: Map<number, number>, top: number): Omit<HotFunction, "percent">[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const childIds = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  // Iterative DFS computing subtree sums; a key is counted only at its outermost frame on a path.
  const subtree = new Map<number, number>();
  const order: number[] = [];
  const stack = profile.nodes.filter((node) => !childIds.has(node.id)).map((node) => node.id);
  while (stack.length > 0) {
    const id = stack.pop() as number;
    order.push(id);
    for (const child of byId.get(id)?.children ?? []) stack.push(child);
  }
  for (const id of order.reverse()) {
    const node = byId.get(id);
    const own = (selfUs.get(id) ?? 0) + (node?.children ?? []).reduce((sum, child) => sum + (subtree.get(child) ?? 0), 0);
    subtree.set(id, own);
  }
  const walk = (id: number, open: Set<string>): void => {
    const node = byId.get(id);
    if (!node) return;
    const ours = /packages\/[^/]+\//.test(node.callFrame.url) && !node.callFrame.url.includes("node_modules");
    const key = `${node.callFrame.functionName || "(anonymous)"}@${shortWhere(node.callFrame.url, node.callFrame.lineNumber)}`;
    let added = false;
    if (ours && !open.has(key)) {
      const entry = totals.get(key) ?? {
        name: node.callFrame.functionName || "(anonymous)",
        where: shortWhere(node.callFrame.url, node.callFrame.lineNumber),
        us: 0,
      };
      entry.us += subtree.get(id) ?? 0;
      totals.set(key, entry);
      open.add(key);
      added = true;
    }
    for (const child of node.children ?? []) walk(child, open);
    if (added) open.delete(key);
  };
  for (const root of profile.nodes.filter((node) => !childIds.has(node.id))) walk(root.id, new Set());
  return [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((entry) => ({ name: entry.name, where: entry.where, selfMs: entry.us / 1000 }));
}
