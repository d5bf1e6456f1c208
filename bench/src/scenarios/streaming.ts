import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { cpuMeter } from "../cpu-meter.js";
import { MODEL, startProxyRig, type ProxyRig } from "../rig.js";
import { percentile } from "../stats.js";
import { streamAgent, streamOnce, type StreamResult } from "../stream-client.js";
import type { Row, Target } from "../table.js";

interface StreamRun {
  streams: number;
  tokensPerStream: number;
  ok: number;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  delayP50Ms: number;
  delayP99Ms: number;
  /** Distinct byte counts per stream: one value when every stream got the same bytes. */
  bytesPerStream: number[];
  cpuSeconds: number;
  firstError?: string;
}

function proxyPid(rig: ProxyRig, column: string): { pid?: number; tree: boolean } {
  if (column === "nginx" && rig.nginx) return { pid: rig.nginx.pid, tree: true };
  if (column === "llmux" && rig.llmux) return { pid: rig.llmux.pid, tree: false };
  return { tree: false };
}

async function runStreams(base: string, streams: number, tokens: number, pid: { pid?: number; tree: boolean }): Promise<StreamRun> {
  const body = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Tell me a long story." }], max_tokens: tokens, stream: true });
  const agent = streamAgent();
  const cpu = cpuMeter(pid.pid, pid.tree);
  let results: StreamResult[];
  try {
    results = await Promise.all(Array.from({ length: streams }, () => streamOnce(`${base}/v1/chat/completions`, body, agent)));
  } finally {
    await agent.close();
  }
  const cpuSeconds = cpu();
  const ok = results.filter((result) => result.status === 200 && result.timing.done && result.timing.tokens === tokens);
  const start = results.reduce((min, result) => (result.startNs < min ? result.startNs : min), results[0]?.startNs ?? 0n);
  const end = results.reduce((max, result) => (result.endNs > max ? result.endNs : max), 0n);
  const seconds = Number(end - start) / 1e9;
  const delays = results.flatMap((result) => result.timing.delaysNs.map((ns) => Number(ns) / 1e6));
  const totalTokens = results.reduce((sum, result) => sum + result.timing.tokens, 0);
  const firstError = results.find((result) => result.error !== undefined || result.status !== 200);
  return {
    streams,
    tokensPerStream: tokens,
    ok: ok.length,
    tokens: totalTokens,
    seconds,
    tokensPerSecond: totalTokens / seconds,
    delayP50Ms: percentile(delays, 50),
    delayP99Ms: percentile(delays, 99),
    bytesPerStream: [...new Set(results.map((result) => result.timing.bytes))],
    cpuSeconds,
    ...(firstError ? { firstError: firstError.error ?? `status ${firstError.status}` } : {}),
  };
}

export const streamingScenario: Scenario = {
  id: "streaming",
  title: "2. Streaming (100 concurrent streams × 500 tokens, as fast as the upstream emits)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const streams = 100;
    const tokens = 500;
    const rounds = context.options.quick ? 1 : 3;
    const rig = await startProxyRig(context);
    const runs: Record<string, StreamRun[]> = {};
    try {
      for (const column of Object.keys(rig.columns)) {
        // One unmeasured round warms the JIT and the connection pools.
        await runStreams(rig.columns[column] as string, 20, 50, { tree: false });
      }
      for (let round = 0; round < rounds; round++) {
        for (const column of Object.keys(rig.columns)) {
          context.log(`  ${column}: ${streams} streams × ${tokens} tokens (round ${round + 1}/${rounds})`);
          const run = await runStreams(rig.columns[column] as string, streams, tokens, proxyPid(rig, column));
          if (run.firstError) context.log(`  ${column}: ${streams - run.ok} streams failed, first: ${run.firstError}`);
          (runs[column] ??= []).push(run);
        }
      }
    } finally {
      await rig.stop();
    }
    // The median round by throughput stands for the column; all rounds go to the JSON.
    const representative = (column: string): StreamRun | undefined => {
      const list = [...(runs[column] ?? [])].sort((a, b) => a.tokensPerSecond - b.tokensPerSecond);
      return list[Math.floor(list.length / 2)];
    };
    const columns = ["direct", "nginx", "llmux"];
    const pick = (read: (run: StreamRun) => number): Record<string, number | undefined> =>
      Object.fromEntries(columns.map((column) => {
        const run = representative(column);
        return [column, run ? read(run) : undefined];
      }));
    const direct = representative("direct");
    const rows: Row[] = [
      { metric: "tokens/s delivered", unit: "tok/s", values: pick((run) => run.tokensPerSecond), digits: 0 },
      { metric: "chunk delay p50 (upstream write → client read)", unit: "ms", values: pick((run) => run.delayP50Ms), digits: 3 },
      { metric: "chunk delay p99", unit: "ms", values: pick((run) => run.delayP99Ms), digits: 3 },
      { metric: "added delay per chunk p50", unit: "ms", values: pick((run) => run.delayP50Ms - (direct?.delayP50Ms ?? Number.NaN)), digits: 3, ratios: false },
      { metric: "added delay per chunk p99", unit: "ms", values: pick((run) => run.delayP99Ms - (direct?.delayP99Ms ?? Number.NaN)), digits: 3, ratios: false },
      { metric: "streams complete and byte-identical to direct", unit: `of ${streams}`, values: pick((run) => (run.bytesPerStream.length === 1 && run.bytesPerStream[0] === direct?.bytesPerStream[0] ? run.ok : 0)), digits: 0, ratios: false },
      { metric: "proxy CPU per token", unit: "µs", values: pick((run) => (run.cpuSeconds * 1e6) / run.tokens), digits: 2, ratios: false },
    ];
    const llmux = representative("llmux");
    const targets: Target[] = [];
    const notes: string[] = [];
    if (llmux && direct) {
      targets.push(
        { name: "llmux tokens/s vs direct", measured: llmux.tokensPerSecond / direct.tokensPerSecond, limit: 0.6, unit: "×", kind: "min" },
        { name: "llmux streams byte-identical to direct", measured: llmux.bytesPerStream.length === 1 && llmux.bytesPerStream[0] === direct.bytesPerStream[0] ? llmux.ok : 0, limit: streams, unit: "streams", kind: "min" },
      );
    } else {
      notes.push("llmux column not measured: `packages/cli/dist/cli.js` is not built or does not serve yet.");
    }
    notes.push(
      `Median of ${rounds} round(s) per column by tokens/s. Each chunk carries the upstream's CLOCK_MONOTONIC stamp from when it was written; the client reads the same clock on arrival, so the delay is exact across processes. "Added" is the column's delay minus direct's.`,
      "Upstream: the bench's node:http upstream writing one SSE event per event-loop turn (never batched by the upstream), with backpressure.",
    );
    return { table: { id: "streaming", title: this.title, baseline: "direct", columns, rows, targets, notes }, raw: runs };
  },
};
