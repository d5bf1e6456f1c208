import { join } from "node:path";
import { makeTempDir, removeTempDir } from "../children.js";
import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { request } from "undici";
import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { startLlmux } from "../llmux.js";
import { knobArgs, startSim } from "../sim-process.js";
import { percentile } from "../stats.js";
import type { Row, Target } from "../table.js";

/** Known sim costs (ms). Level-2 wake = wake_up(weights) + reload + wake_up(kv_cache), each with its knob. */
const KNOBS = { "startup-ms": 300, "sleep1-ms": 200, "wake1-ms": 100, "sleep2-ms": 60, "wake2-ms": 80, "reload-ms": 150, "ttft-ms": 0, "tokens-per-sec": 0 };
const KNOWN_MS: Record<1 | 2, number> = {
  1: KNOBS["sleep1-ms"] + KNOBS["wake1-ms"],
  2: KNOBS["sleep2-ms"] + KNOBS["wake2-ms"] + KNOBS["reload-ms"] + KNOBS["wake2-ms"],
};

const nowMs = (): number => performance.timeOrigin + performance.now();

async function post(url: string, body?: object): Promise<void> {
  const response = await request(url, {
    method: "POST",
    ...(body ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`POST ${url} answered ${response.statusCode}: ${text.slice(0, 300)}`);
}

/** A 1-token chat request; resolves with the epoch ms of the response headers (the first forwarded byte) and the end. */
async function ask(base: string, model: string): Promise<{ firstByteMs: number; endMs: number }> {
  const response = await request(`${base}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 1, stream: true }),
    headers: { "content-type": "application/json" },
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  const firstByteMs = nowMs();
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${model} answered ${response.statusCode}: ${text.slice(0, 300)}`);
  return { firstByteMs, endMs: nowMs() };
}

/** The bare minimum a client can do: sleep one sim and wake the other itself, then ask. */
async function directSwitches(level: 1 | 2, count: number): Promise<number[]> {
  const folder = makeTempDir("switch");
  const eventLog = join(folder, "events.jsonl");
  const sims: Awaited<ReturnType<typeof startSim>>[] = [];
  try {
    // One GPU: the first must be asleep before the second can claim its memory.
    const a = await startSim({ model: "a", knobs: KNOBS, stateDir: folder, eventLog });
    sims.push(a);
    await post(`${a.url}/sleep?level=${level}`);
    const b = await startSim({ model: "b", knobs: KNOBS, stateDir: folder, eventLog });
    sims.push(b);
    const latencies: number[] = [];
    let awake = b;
    let asleep = a;
    for (let index = 0; index < count; index++) {
      const begin = nowMs();
      await post(`${awake.url}/sleep?level=${level}`);
      if (level === 1) {
        await post(`${asleep.url}/wake_up`);
      } else {
        // vLLM #29341: level 2 needs the weights reloaded between the two partial wakes.
        await post(`${asleep.url}/wake_up?tags=weights`);
        await post(`${asleep.url}/collective_rpc`, { method: "reload_weights" });
        await post(`${asleep.url}/wake_up?tags=kv_cache`);
        await post(`${asleep.url}/reset_prefix_cache`);
      }
      const sleeping = await request(`${asleep.url}/is_sleeping`);
      await sleeping.body.dump();
      const { endMs } = await ask(asleep.url, asleep === a ? "a" : "b");
      latencies.push(endMs - begin);
      [awake, asleep] = [asleep, awake];
    }
    return latencies;
  } finally {
    for (const sim of sims) await sim.tracked.stop(3000);
    removeTempDir(folder);
  }
}

/** What llmux logs at the end of each switch (`switch-end`, JSON at info). */
export interface SwitchLog {
  duration_ms: number;
  to: string;
  result: string;
  phases: { phase: string; model: string; duration_ms: number; level: number | null; ok: boolean }[];
}

/** Pick llmux's switch-end lines out of its JSON log output. */
export function parseSwitchLog(line: string): SwitchLog | undefined {
  if (!line.startsWith("{") || !line.includes('"switch_id"') || !line.includes('"phases"')) return undefined;
  try {
    const record = JSON.parse(line) as Partial<SwitchLog>;
    if (typeof record.duration_ms !== "number" || !Array.isArray(record.phases)) return undefined;
    return record as SwitchLog;
  } catch {
    return undefined;
  }
}

async function llmuxSwitches(level: 1 | 2 | 3, count: number): Promise<{ latencies: number[]; readyToFirstByte: number[]; switches: SwitchLog[] }> {
  const extra = knobArgs(KNOBS);
  const switches: SwitchLog[] = [];
  const llmux = await startLlmux({
    logLevel: "info",
    onLine: (line) => {
      const record = parseSwitchLog(line);
      if (record) switches.push(record);
    },
    port: await freePort(),
    vllmCommand: simBinPath,
    models: {
      a: { model_path: "sim/a", port: await freePort(), sleep_level: level, extra_args: extra },
      b: { model_path: "sim/b", port: await freePort(), sleep_level: level, extra_args: extra },
    },
    // Every request here is a switch on purpose: the anti-thrash floor (min_active_secs, 5 s by default) is not what is measured.
    policy: { min_active_secs: 0 },
  });
  try {
    // Start both once so that every measured request is a real switch (level 3: a cold start).
    await ask(llmux.url, "a");
    await ask(llmux.url, "b");
    const warmSwitches = switches.length;
    const latencies: number[] = [];
    const readyToFirstByte: number[] = [];
    for (let index = 0; index < count; index++) {
      const model = index % 2 === 0 ? "a" : "b";
      const begin = nowMs();
      const { firstByteMs, endMs } = await ask(llmux.url, model);
      latencies.push(endMs - begin);
      if (level === 3) {
        const ready = llmux.events().filter((event) => event.event === "ready" && event.model === model && event.t >= begin - 1);
        const last = ready[ready.length - 1];
        if (last) readyToFirstByte.push(firstByteMs - last.t);
      }
    }
    const crashes = llmux.events().filter((event) => event.event === "crash");
    if (crashes.length > 0) throw new Error(`the sim crashed during llmux switches: ${JSON.stringify(crashes[0])}`);
    // Log lines may trail the responses by a moment.
    const deadline = Date.now() + 2000;
    while (switches.length < warmSwitches + count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return { latencies, readyToFirstByte, switches: switches.slice(warmSwitches) };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${llmux.tail()}`);
  } finally {
    await llmux.stop();
  }
}

export const switchScenario: Scenario = {
  id: "switch",
  title: "3. Switch overhead (vllm-sim with known sleep/wake durations)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    if (!context.sim) throw new Error("vllm-sim is not available");
    const count = context.options.quick ? 4 : 30;
    const direct: Record<number, number[]> = {};
    const llmux: Record<number, number[]> = {};
    const logged: Record<number, SwitchLog[]> = {};
    let cold: number[] = [];
    for (const level of [1, 2] as const) {
      context.log(`  direct: ${count} level-${level} switches`);
      direct[level] = await directSwitches(level, count);
      if (context.llmux) {
        context.log(`  llmux: ${count} level-${level} switches`);
        const run = await llmuxSwitches(level, count);
        llmux[level] = run.latencies;
        logged[level] = run.switches;
      }
    }
    if (context.llmux) {
      const colds = context.options.quick ? 3 : 12;
      context.log(`  llmux: ${colds} cold starts (level 3)`);
      cold = (await llmuxSwitches(3, colds)).readyToFirstByte;
    }
    const columns = ["known", "direct", "llmux"];
    const rows: Row[] = [];
    const targets: Target[] = [];
    for (const level of [1, 2] as const) {
      const overhead = (llmux[level] ?? []).map((latency) => latency - KNOWN_MS[level]);
      const directOverhead = (direct[level] ?? []).map((latency) => latency - KNOWN_MS[level]);
      rows.push(
        {
          metric: `level ${level} switch latency p50`,
          unit: "ms",
          values: { known: KNOWN_MS[level], direct: percentile(direct[level] ?? [], 50), llmux: llmux[level] ? percentile(llmux[level], 50) : undefined },
          digits: 1,
        },
        {
          metric: `level ${level} switch latency p99`,
          unit: "ms",
          values: { known: KNOWN_MS[level], direct: percentile(direct[level] ?? [], 99), llmux: llmux[level] ? percentile(llmux[level], 99) : undefined },
          digits: 1,
        },
        {
          metric: `level ${level} overhead (latency − known) p50`,
          unit: "ms",
          values: { known: 0, direct: percentile(directOverhead, 50), llmux: llmux[level] ? percentile(overhead, 50) : undefined },
          digits: 1,
          ratios: false,
        },
        {
          metric: `level ${level} llmux p50 − direct p50`,
          unit: "ms",
          values: { llmux: llmux[level] ? percentile(llmux[level], 50) - percentile(direct[level] ?? [], 50) : undefined },
          digits: 1,
          ratios: false,
        },
      );
      const records = logged[level] ?? [];
      if (records.length > 0) {
        // Where the time goes, from llmux's own switch log: each phase against its known sim cost.
        const phase = (name: string): number[] =>
          records.map((record) => record.phases.filter((each) => each.phase === name).reduce((sum, each) => sum + each.duration_ms, 0));
        const knownSleep = level === 1 ? KNOBS["sleep1-ms"] : KNOBS["sleep2-ms"];
        const knownWake = KNOWN_MS[level] - knownSleep;
        const outside = (llmux[level] ?? []).slice(0, records.length).map((latency, index) => latency - (records[index]?.duration_ms ?? Number.NaN));
        rows.push(
          {
            metric: `level ${level} llmux log: drain phase p50`,
            unit: "ms",
            values: { known: 0, llmux: percentile(phase("drain"), 50) },
            digits: 1,
            ratios: false,
          },
          { metric: `level ${level} llmux log: sleep phase p50`, unit: "ms", values: { known: knownSleep, llmux: percentile(phase("sleep"), 50) }, digits: 1 },
          { metric: `level ${level} llmux log: wake phase p50`, unit: "ms", values: { known: knownWake, llmux: percentile(phase("wake"), 50) }, digits: 1 },
          {
            metric: `level ${level} outside the switch (queue, forward, answer) p50`,
            unit: "ms",
            values: { llmux: percentile(outside, 50) },
            digits: 1,
            ratios: false,
          },
        );
      }
      if (llmux[level])
        targets.push({ name: `llmux level-${level} switch overhead p50`, measured: percentile(overhead, 50), limit: 25, unit: "ms", kind: "max" });
    }
    if (cold.length > 0) {
      rows.push(
        { metric: "cold start: sim ready → first forwarded byte p50", unit: "ms", values: { llmux: percentile(cold, 50) }, digits: 1, ratios: false },
        { metric: "cold start: sim ready → first forwarded byte max", unit: "ms", values: { llmux: Math.max(...cold) }, digits: 1, ratios: false },
      );
      targets.push({ name: "llmux cold start ready → first byte p50", measured: percentile(cold, 50), limit: 50, unit: "ms", kind: "max" });
    }
    const notes = [
      `Sim knobs: ${JSON.stringify(KNOBS)}. Known switch cost: level 1 = sleep1 + wake1 = ${KNOWN_MS[1]} ms; level 2 = sleep2 + wake2 (weights) + reload + wake2 (kv_cache) = ${KNOWN_MS[2]} ms.`,
      `${count} alternating requests per level, one at a time (nothing to drain, so the drain term is 0), each a 1-token streaming chat request; latency is send → end of response. "direct" is a bare client doing the same sleep/wake calls itself, then the request: the floor for any multiplexer.`,
      "Cold start: models at sleep level 3, so each alternate request starts a fresh sim; the sim's `ready` event (epoch ms, event log) is compared with the client's response-header time.",
    ];
    if (!context.llmux) notes.push("llmux column not measured: `packages/cli/dist/cli.js` is not built or does not serve yet.");
    return {
      table: { id: "switch", title: this.title, baseline: "known", columns, rows, targets, notes },
      raw: { knobs: KNOBS, known: KNOWN_MS, direct, llmux, llmuxSwitchLog: logged, coldReadyToFirstByteMs: cold },
    };
  },
};
