import { join } from "node:path";
import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { request } from "undici";
import { makeTempDir, removeTempDir } from "../children.js";
import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { startLlmux } from "../llmux.js";
import { knobArgs, startSim } from "../sim-process.js";
import { percentile } from "../stats.js";
import type { Row, Target } from "../table.js";
import { type StreamOutcome, referenceText, streamChat } from "./preemption-client.js";

/** 4,000 tokens at 400 tokens/s: a generation that holds the GPU 10 s (100 s at a real 40 tokens/s). */
const KNOBS = { "startup-ms": 300, "sleep1-ms": 200, "wake1-ms": 100, "ttft-ms": 0, "tokens-per-sec": 400 };
const LONG = { max_tokens: 4000, ignore_eos: true, temperature: 0 };
const DRAIN_TIMEOUT_SECS = 5;
const MAX_DRAIN_SECS = 0.5;

/** The fields of llmux's JSON log lines this scenario reads. */
interface SwitchLine {
  time: number;
  msg: string;
  switch_id?: number;
  to?: string;
  from?: unknown;
  model?: string;
  paused?: { model: string; requests: string[] }[];
}

interface Round {
  /** Switch decision (the switch-start log line) → the evictee's state becoming `sleeping`, ms. */
  decisionToSleepMs: number;
  outcomes: StreamOutcome[];
  references: string[];
  /** Indices of the streams this switch paused (from the switch log, by `x-request-id`). */
  paused: Set<number>;
}

const chat = (index: number, extra: Record<string, unknown>) => ({ model: "a", messages: [{ role: "user", content: `story ${index}` }], ...extra });

async function ask(base: string, model: string): Promise<void> {
  const response = await request(`${base}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 1 }),
    headers: { "content-type": "application/json" },
    headersTimeout: 300_000,
    bodyTimeout: 300_000,
  });
  await response.body.text();
}

/**
 * One llmux (drain-only, or with `max_drain_secs`): `rounds` times, `streams`
 * generations run on model a when a request for b arrives; every stream is
 * then checked against the uninterrupted text of a sim of its own.
 */
async function runMode(preempt: boolean, rounds: number, streams: number, body: Record<string, unknown>, referenceUrl: string): Promise<Round[]> {
  const llmux = await startLlmux({
    logLevel: "info",
    port: await freePort(),
    vllmCommand: simBinPath,
    models: {
      a: { model_path: "sim/a", port: await freePort(), sleep_level: 1, extra_args: knobArgs(KNOBS) },
      b: { model_path: "sim/b", port: await freePort(), sleep_level: 1, extra_args: knobArgs(KNOBS) },
    },
    // The switch is decided as soon as b asks: this scenario measures the switch, not the anti-thrash floor.
    policy: { min_active_secs: 0, drain_timeout_secs: DRAIN_TIMEOUT_SECS, ...(preempt ? { max_drain_secs: MAX_DRAIN_SECS } : {}) },
  });
  const lines = llmux.process.lines as unknown as SwitchLine[];
  const results: Round[] = [];
  try {
    await ask(llmux.url, "b");
    for (let round = 0; round < rounds; round++) {
      await ask(llmux.url, "a");
      const first = round * streams;
      const pending = Array.from({ length: streams }, (_, index) => streamChat(llmux.url, chat(first + index, body), `s-${index}`));
      // Every stream is running on a before b asks for the GPU.
      await new Promise((resolve) => setTimeout(resolve, 800));
      const from = lines.length;
      await ask(llmux.url, "b");
      const outcomes = await Promise.all(pending);
      const mine = lines.slice(from);
      const start = mine.find((line) => line.switch_id !== undefined && line.to === "b" && line.msg.startsWith("switch ") && line.msg.includes("->"));
      const sleeping = mine.find((line) => line.model === "a" && line.msg === "a: draining -> sleeping");
      const end = mine.find((line) => line.switch_id !== undefined && line.to === "b" && Array.isArray((line as { phases?: unknown }).phases));
      const references = await Promise.all(outcomes.map((_, index) => referenceText(referenceUrl, chat(first + index, body))));
      results.push({
        decisionToSleepMs: start && sleeping ? sleeping.time - start.time : Number.NaN,
        outcomes,
        references,
        paused: new Set((end?.paused ?? []).flatMap((entry) => entry.requests).map((id) => Number(id.slice(2)))),
      });
    }
    return results;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${llmux.tail()}`);
  } finally {
    await llmux.stop();
  }
}

const same = (r: Round, o: StreamOutcome, i: number) => !o.error && o.done && o.ids === 1 && o.text === r.references[i];
const identical = (rounds: Round[]) => rounds.flatMap((r) => r.outcomes.map((o, i) => same(r, o, i))).filter(Boolean).length;
const pausedCount = (rounds: Round[]) => rounds.reduce((sum, r) => sum + r.paused.size, 0);
const pausedIdentical = (rounds: Round[]) => rounds.flatMap((r) => r.outcomes.map((o, i) => r.paused.has(i) && same(r, o, i))).filter(Boolean).length;
const cutOff = (rounds: Round[]) => rounds.flatMap((r) => r.outcomes).filter((o) => o.error !== undefined).length;

export const preemptionScenario: Scenario = {
  id: "preemption",
  title: "7. Switches that do not wait for long generations (pause and resume, vllm-sim)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    if (!context.sim || !context.llmux) throw new Error("needs vllm-sim and the built llmux");
    const folder = makeTempDir("preempt-ref");
    const reference = await startSim({ model: "a", knobs: { ...KNOBS, "tokens-per-sec": 0 }, stateDir: folder, eventLog: join(folder, "events.jsonl") });
    try {
      const longRounds = context.options.quick ? 1 : 3;
      context.log(`  drain-only: ${longRounds} switches with 4 × 4,000-token generations in flight`);
      const drainOnly = await runMode(false, longRounds, 4, LONG, reference.url);
      context.log(`  preemption: the same`);
      const preempted = await runMode(true, longRounds, 4, LONG, reference.url);
      const manyRounds = context.options.quick ? 2 : 11;
      context.log(`  preemption: ${manyRounds} switches × 100 streams of 800 tokens, each paused and resumed`);
      const many = await runMode(true, manyRounds, 100, { max_tokens: 800, ignore_eos: true, temperature: 0 }, reference.url);
      const decision = (rounds: Round[]) => rounds.map((r) => r.decisionToSleepMs);
      const columns = ["drain-only", "preemption"];
      const rows: Row[] = [
        {
          metric: "switch decision → sleep start p50 (4 × 4k tokens in flight)",
          unit: "ms",
          values: { "drain-only": percentile(decision(drainOnly), 50), preemption: percentile(decision(preempted), 50) },
          digits: 0,
        },
        {
          metric: "switch decision → sleep start max",
          unit: "ms",
          values: { "drain-only": Math.max(...decision(drainOnly)), preemption: Math.max(...decision(preempted)) },
          digits: 0,
        },
        { metric: "streams cut off (error event)", unit: "count", values: { "drain-only": cutOff(drainOnly), preemption: cutOff(preempted) }, ratios: false },
        {
          metric: "streams complete and identical to uninterrupted",
          unit: "count",
          values: { "drain-only": identical(drainOnly), preemption: identical(preempted) },
          ratios: false,
        },
        { metric: "streams paused and resumed (100 running per switch)", unit: "count", values: { preemption: pausedCount(many) }, ratios: false },
        { metric: "of those, byte-identical in content to uninterrupted", unit: "count", values: { preemption: pausedIdentical(many) }, ratios: false },
        { metric: "all streams of those switches identical to uninterrupted", unit: "count", values: { preemption: identical(many) }, ratios: false },
      ];
      const targets: Target[] = [
        {
          name: "switch decision → sleep start with 4k-token generations in flight (max)",
          measured: Math.max(...decision(preempted)),
          limit: 1000,
          unit: "ms",
          kind: "max",
        },
        { name: "requests cut off with preemption", measured: cutOff(preempted) + cutOff(many), limit: 0, unit: "count", kind: "max" },
        {
          name: "paused-and-resumed streams identical to uninterrupted",
          measured: pausedIdentical(many),
          limit: pausedCount(many),
          unit: "count",
          kind: "min",
        },
      ];
      const notes = [
        `Sim knobs: ${JSON.stringify(KNOBS)}: 4,000 tokens take 10 s here (100 s at a real 40 tokens/s). drain_timeout_secs ${DRAIN_TIMEOUT_SECS}; preemption: max_drain_secs ${MAX_DRAIN_SECS}.`,
        "Switch decision = llmux's `switch N: a -> b` log line; sleep start = `a: draining -> sleeping`; both from llmux's JSON log (pino `time`).",
        "Identical: the client saw one stream (one id, [DONE], no error) whose text equals a sim answering the same request at once, uninterrupted.",
      ];
      return {
        table: { id: "preemption", title: this.title, baseline: "drain-only", columns, rows, targets, notes },
        raw: {
          knobs: KNOBS,
          drainOnly: drainOnly.map((r) => r.decisionToSleepMs),
          preemption: preempted.map((r) => r.decisionToSleepMs),
          pausedPerRound: many.map((r) => r.paused.size),
        },
      };
    } finally {
      await reference.tracked.stop(3000);
      removeTempDir(folder);
    }
  },
};
