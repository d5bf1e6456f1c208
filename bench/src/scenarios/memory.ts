import { setMaxListeners } from "node:events";
import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { runLoad } from "../load-client.js";
import { descendants } from "@llmux/cli/testing";
import { rssBytes } from "../proc-stats.js";
import { trendPercent } from "../stats.js";
import { MODEL, startProxyRig, upstreamStats, type ProxyRig } from "../rig.js";
import { streamAgent, streamOnce } from "../stream-client.js";
import type { Row, Target } from "../table.js";

const MIB = 1024 * 1024;

interface MemoryRun {
  idleMiB: number;
  streamsOpen: number;
  /** Streams the upstream was writing while the clients held theirs open. */
  upstreamStreams: number;
  /** Seconds from the client aborts until the upstream had no stream left (NaN: not within 30 s). */
  releaseSeconds: number;
  streamsMiB: number;
  soakRequests: number;
  soakFailed: number;
  soakSeconds: number;
  soakStartMiB: number;
  soakEndMiB: number;
  soakPeakMiB: number;
  driftPercent: number;
  /** The least-squares line's rise from the first tenth to the end (%). */
  trendPercent: number;
  samplesMiB: number[];
  /** llmux's used V8 heap (its own `nodejs_heap_size_used_bytes`) after each tenth of the soak; empty for nginx. */
  heapMiB: number[];
}

/** llmux's used heap, from its Prometheus endpoint on the proxy port. */
async function usedHeapMiB(base: string): Promise<number> {
  const response = await fetch(`${base}/metrics`);
  const text = await response.text();
  const line = text.split("\n").find((each) => each.startsWith("nodejs_heap_size_used_bytes"));
  return line === undefined ? Number.NaN : Number(line.split(" ").pop()) / MIB;
}

function rssOf(rig: ProxyRig, column: string): () => number {
  if (column === "nginx" && rig.nginx) {
    const pid = rig.nginx.pid;
    return () => [pid, ...descendants(pid)].reduce((sum, each) => sum + (rssBytes(each) || 0), 0) / MIB;
  }
  if (column === "llmux" && rig.llmux) {
    const pid = rig.llmux.pid;
    return () => rssBytes(pid) / MIB;
  }
  throw new Error(`no process for column ${column}`);
}

async function upstreamOpenStreams(directUrl: string): Promise<number> {
  return (await upstreamStats(directUrl)).open_streams;
}

async function openStreams(
  context: BenchContext,
  base: string,
  directUrl: string,
  count: number,
  rss: () => number,
  stallMs: number,
): Promise<{ open: number; peakMiB: number; upstreamStreams: number; releaseSeconds: number }> {
  // Slow streams (one token a second) so that all of them are open at once.
  const body = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "keep talking" }], max_tokens: 600, stream: true, bench_interval_ms: 1000 });
  const agent = streamAgent();
  const abort = new AbortController();
  // One signal for a thousand requests: each adds a listener, which is expected here.
  setMaxListeners(0, abort.signal);
  let open = 0;
  const all = Array.from({ length: count }, () => streamOnce(`${base}/v1/chat/completions`, body, agent, { signal: abort.signal, onHeaders: () => open++ }));
  let peakMiB = 0;
  let upstreamStreams = 0;
  try {
    // Wait until every stream is open, or until no new one opened for a while (a proxy that queues them).
    const deadline = Date.now() + 60_000;
    let lastOpen = -1;
    let lastChange = Date.now();
    while (open < count && Date.now() < deadline && Date.now() - lastChange < stallMs) {
      if (open !== lastOpen) {
        lastOpen = open;
        lastChange = Date.now();
      }
      peakMiB = Math.max(peakMiB, rss());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (open < count) context.log(`  only ${open} of ${count} streams got their response headers`);
    // Hold them a little while tokens flow, sampling the peak.
    for (let sample = 0; sample < (context.options.quick ? 4 : 12); sample++) {
      peakMiB = Math.max(peakMiB, rss());
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    upstreamStreams = await upstreamOpenStreams(directUrl);
  } finally {
    abort.abort();
    await Promise.all(all);
    await agent.destroy();
  }
  // Aborted clients must free their upstream streams (the proxy aborts upstream when the client goes).
  const aborted = Date.now();
  let releaseSeconds = Number.NaN;
  while (Date.now() - aborted < 30_000) {
    if ((await upstreamOpenStreams(directUrl)) === 0) {
      releaseSeconds = (Date.now() - aborted) / 1000;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { open, peakMiB, upstreamStreams, releaseSeconds };
}

async function measure(context: BenchContext, rig: ProxyRig, column: string, streams: number, soak: number): Promise<MemoryRun> {
  const base = rig.columns[column] as string;
  const rss = rssOf(rig, column);
  const idleMiB = rss();
  context.log(`  ${column}: ${streams} open streams`);
  const opened = await openStreams(context, base, rig.directUrl, streams, rss, context.options.quick ? 2_000 : 5_000);
  context.log(`  ${column}: soak of ${soak} requests`);
  const samples: number[] = [];
  const heapReads: Array<Promise<number>> = [];
  const readHeap = column === "llmux" ? () => heapReads.push(usedHeapMiB(base).catch(() => Number.NaN)) : () => undefined;
  const body = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Say hello in five words." }], max_tokens: 8 });
  const every = Math.max(1, Math.floor(soak / 20));
  const result = await runLoad({
    url: `${base}/v1/chat/completions`,
    body,
    total: soak,
    concurrency: 50,
    progressEvery: every,
    onProgress: (completed) => {
      samples.push(rss());
      if ((completed / every) % 2 === 0 && completed < soak) readHeap();
      if (samples.length % 2 === 0) context.log(`    ${completed.toLocaleString("en-US")} requests: RSS ${rss().toFixed(1)} MiB`);
    },
  });
  samples.push(rss());
  readHeap();
  const heapMiB = await Promise.all(heapReads);
  // Drift: from the sample after the first tenth of the soak (pools and JIT warm) to the end.
  const start = samples[1] ?? samples[0] ?? Number.NaN;
  const end = samples[samples.length - 1] ?? Number.NaN;
  return {
    idleMiB,
    streamsOpen: opened.open,
    upstreamStreams: opened.upstreamStreams,
    releaseSeconds: opened.releaseSeconds,
    streamsMiB: opened.peakMiB,
    soakRequests: result.completed,
    soakFailed: result.failed,
    soakSeconds: result.seconds,
    soakStartMiB: start,
    soakEndMiB: end,
    soakPeakMiB: Math.max(...samples),
    driftPercent: ((end - start) / start) * 100,
    trendPercent: trendPercent(samples.slice(1)),
    samplesMiB: samples,
    heapMiB,
  };
}

export const memoryScenario: Scenario = {
  id: "memory",
  title: "4. Memory (1,000 concurrent open streams; RSS drift over a soak)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const streams = 1000;
    const soak = context.options.soak ?? (context.options.quick ? 3_000 : 100_000);
    // The used heap is read from llmux's own metrics on its proxy port.
    const rig = await startProxyRig(context, { config: { metrics_on_proxy_port: true } });
    const runs: Record<string, MemoryRun> = {};
    try {
      for (const column of ["nginx", "llmux"]) {
        if (!(column in rig.columns)) continue;
        runs[column] = await measure(context, rig, column, streams, soak);
      }
    } finally {
      await rig.stop();
    }
    const columns = ["nginx", "llmux"];
    const pick = (read: (run: MemoryRun) => number): Record<string, number | undefined> =>
      Object.fromEntries(columns.map((column) => [column, runs[column] ? read(runs[column] as MemoryRun) : undefined]));
    const rows: Row[] = [
      { metric: "RSS idle", unit: "MiB", values: pick((run) => run.idleMiB), digits: 1 },
      { metric: `RSS peak with ${streams} open streams`, unit: "MiB", values: pick((run) => run.streamsMiB), digits: 1 },
      { metric: "streams with response headers", unit: `of ${streams}`, values: pick((run) => run.streamsOpen), digits: 0, ratios: false },
      { metric: "streams the upstream was writing", unit: `of ${streams}`, values: pick((run) => run.upstreamStreams), digits: 0, ratios: false },
      { metric: "client abort → upstream streams all closed", unit: "s", values: pick((run) => run.releaseSeconds), digits: 2, ratios: false },
      { metric: "soak: requests answered 200", unit: "count", values: pick((run) => run.soakRequests - run.soakFailed), digits: 0, ratios: false },
      { metric: "soak: throughput", unit: "req/s", values: pick((run) => run.soakRequests / run.soakSeconds), digits: 0 },
      { metric: "soak: RSS after first tenth", unit: "MiB", values: pick((run) => run.soakStartMiB), digits: 1 },
      { metric: "soak: RSS at end", unit: "MiB", values: pick((run) => run.soakEndMiB), digits: 1 },
      { metric: "soak: RSS drift", unit: "%", values: pick((run) => run.driftPercent), digits: 1, ratios: false },
      { metric: "soak: RSS trend (fitted line)", unit: "%", values: pick((run) => run.trendPercent), digits: 1, ratios: false },
      { metric: "soak: llmux used heap after first tenth", unit: "MiB", values: { llmux: runs.llmux?.heapMiB[0] }, digits: 1, ratios: false },
      { metric: "soak: llmux used heap at end", unit: "MiB", values: { llmux: runs.llmux?.heapMiB.at(-1) }, digits: 1, ratios: false },
    ];
    const targets: Target[] = [];
    const notes: string[] = [];
    const llmux = runs.llmux;
    if (llmux) {
      targets.push(
        { name: `llmux RSS with ${streams} open client streams`, measured: llmux.streamsMiB, limit: 200, unit: "MiB", kind: "max" },
        { name: `llmux streams forwarded at once`, measured: llmux.upstreamStreams, limit: streams, unit: "streams", kind: "min" },
        { name: `llmux RSS drift over ${soak.toLocaleString("en-US")} requests`, measured: llmux.driftPercent, limit: 5, unit: "%", kind: "max" },
      );
    } else {
      notes.push("llmux column not measured: `packages/cli/dist/cli.js` is not built or does not serve yet.");
    }
    notes.push(
      `RSS from /proc/<pid>/status VmRSS (nginx: master plus workers; llmux: its own process). Streams: one token a second per stream from the bench upstream, so all ${streams} are open at once; the peak while they open and over ~3 s after (quick: 1 s) is shown; a proxy that stops opening new ones for 5 s (quick: 2 s) is taken as queueing them. Soak: ${soak.toLocaleString("en-US")} non-streaming requests at concurrency 50, RSS sampled every twentieth; drift is from the sample after the first tenth to the end; the trend is the rise of the least-squares line through the samples from the first tenth on (single samples swing with the garbage collector). llmux's used heap (\`nodejs_heap_size_used_bytes\` from its metrics, served on the proxy port for this) after each tenth: ${runs.llmux?.heapMiB.map((each) => each.toFixed(0)).join(", ") ?? "n/a"} MiB.`,
    );
    return { table: { id: "memory", title: this.title, baseline: "nginx", columns, rows, targets, notes }, raw: runs };
  },
};
