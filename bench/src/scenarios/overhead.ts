import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { cpuMeter } from "../cpu-meter.js";
import { MODEL, proxyProcess, startProxyRig, upstreamStats, type ProxyRig } from "../rig.js";
import type { Row, Target } from "../table.js";
import { runWrk } from "../wrk.js";
import type { WrkSummary } from "../wrk-script.js";

const BODY = JSON.stringify({
  model: MODEL,
  messages: [{ role: "user", content: "Say hello in five words." }],
  max_tokens: 8,
});

interface Measured {
  wrk: WrkSummary;
  /** Proxy CPU µs per request; NaN for direct. */
  cpuUsPerRequest: number;
  /** New TCP connections the upstream accepted during the measured run. */
  upstreamConnections: number;
}

async function measure(context: BenchContext, rig: ProxyRig, column: string, connections: number, seconds: number, warmUp: boolean): Promise<Measured> {
  const base = rig.columns[column] as string;
  const wrkPath = context.wrkPath as string;
  const url = `${base}/v1/chat/completions`;
  // A short warm-up: JIT, keep-alive pools, nginx's upstream connections.
  if (warmUp) await runWrk({ path: wrkPath, url, body: BODY, connections: 50, threads: 1, durationSeconds: 1 });
  const { pid, tree } = proxyProcess(rig, column);
  const before = await upstreamStats(rig.directUrl);
  const cpu = cpuMeter(pid, tree);
  const wrk = await runWrk({ path: wrkPath, url, body: BODY, connections, threads: 1, durationSeconds: seconds });
  const cpuSeconds = cpu();
  const after = await upstreamStats(rig.directUrl);
  const errors = wrk.errors.connect + wrk.errors.read + wrk.errors.write + wrk.errors.status + wrk.errors.timeout;
  if (errors > 0) context.log(`  ${column} c=${connections}: ${errors} errors (${JSON.stringify(wrk.errors)})`);
  // The second stats call opened one connection itself (the first was counted before it read the counter).
  return { wrk, cpuUsPerRequest: (cpuSeconds * 1e6) / wrk.requests, upstreamConnections: after.connections - before.connections - 1 };
}

export const overheadScenario: Scenario = {
  id: "overhead",
  title: "1. Proxy overhead, non-streaming (small chat request, wrk)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const notes: string[] = [];
    if (!context.wrkPath) throw new Error("wrk is not available");
    const seconds = context.options.quick ? 2 : 10;
    const rig = await startProxyRig(context, { bare: true });
    const results: Record<string, Record<number, Measured>> = {};
    try {
      for (const connections of [1, 50]) {
        // Columns interleaved per concurrency so slow drift on a shared machine hits all of them alike.
        for (const column of Object.keys(rig.columns)) {
          context.log(`  ${column} c=${connections} for ${seconds}s`);
          // Quick runs warm each column once; full runs before every measurement.
          const warmUp = !context.options.quick || connections === 1;
          (results[column] ??= {})[connections] = await measure(context, rig, column, connections, seconds, warmUp);
        }
      }
    } finally {
      await rig.stop();
    }
    const columns = ["direct", "nginx", "node-bare", "llmux"];
    const pick = (connections: number, read: (measured: Measured) => number): Record<string, number | undefined> =>
      Object.fromEntries(
        columns.map((column) => {
          const measured = results[column]?.[connections];
          return [column, measured ? read(measured) : undefined];
        }),
      );
    const rows: Row[] = [];
    for (const connections of [1, 50]) {
      rows.push(
        { metric: `throughput c=${connections}`, unit: "req/s", values: pick(connections, (m) => m.wrk.requestsPerSecond), digits: 0 },
        { metric: `p50 latency c=${connections}`, unit: "ms", values: pick(connections, (m) => m.wrk.p50Ms), digits: 3 },
        { metric: `p99 latency c=${connections}`, unit: "ms", values: pick(connections, (m) => m.wrk.p99Ms), digits: 3 },
        {
          metric: `proxy CPU per request c=${connections}`,
          unit: "µs",
          values: pick(connections, (m) => (Number.isFinite(m.cpuUsPerRequest) ? m.cpuUsPerRequest : Number.NaN)),
          digits: 1,
          ratios: false,
        },
        {
          metric: `new upstream connections c=${connections}`,
          unit: "count",
          values: pick(connections, (m) => m.upstreamConnections),
          digits: 0,
          ratios: false,
        },
      );
    }
    const targets: Target[] = [];
    const direct1 = results.direct?.[1];
    const llmux1 = results.llmux?.[1];
    const llmux50 = results.llmux?.[50];
    const nginx50 = results.nginx?.[50];
    if (llmux1 && direct1 && llmux50) {
      targets.push(
        { name: "llmux added p50 latency, c=1", measured: llmux1.wrk.p50Ms - direct1.wrk.p50Ms, limit: 0.5, unit: "ms", kind: "max" },
        {
          name: "llmux throughput c=50 vs nginx",
          measured: nginx50 ? llmux50.wrk.requestsPerSecond / nginx50.wrk.requestsPerSecond : Number.NaN,
          limit: 0.5,
          unit: "×",
          kind: "min",
        },
        { name: "llmux CPU per request, c=50", measured: llmux50.cpuUsPerRequest, limit: 60, unit: "µs", kind: "max" },
      );
      // The hot-path issue's targets: llmux against the bare node:http + undici pass-through, in the same run.
      const bare50 = results["node-bare"]?.[50];
      if (bare50) {
        targets.push(
          { name: "llmux CPU per request c=50 ÷ node-bare's", measured: llmux50.cpuUsPerRequest / bare50.cpuUsPerRequest, limit: 1.25, unit: "×", kind: "max" },
          {
            name: "llmux throughput c=50 ÷ node-bare's",
            measured: llmux50.wrk.requestsPerSecond / bare50.wrk.requestsPerSecond,
            limit: 0.8,
            unit: "×",
            kind: "min",
          },
        );
      }
    } else {
      notes.push("llmux column not measured: `packages/cli/dist/cli.js` is not built or does not serve yet.");
    }
    if (!rig.nginx) notes.push(...context.notes.filter((note) => note.startsWith("nginx")));
    notes.push(
      `wrk -t1, ${seconds} s per run after a 1 s warm-up at c=50${context.options.quick ? " (quick: once per column)" : ""}; upstream: the bench's minimal node:http upstream (\`bench/src/upstream/fast-vllm.ts\`), one process shared by all columns.`,
      "Proxy CPU: utime+stime from /proc/<pid>/stat before and after the run (nginx: master and workers; llmux: its own process, not the upstream it started), divided by requests; 10 ms tick resolution.",
    );
    const raw = Object.fromEntries(Object.entries(results).map(([column, byC]) => [column, byC]));
    return {
      table: { id: "overhead", title: this.title, baseline: "direct", columns, rows, targets, notes },
      raw,
    };
  },
};
