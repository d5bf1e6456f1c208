import { DEFAULT_SIM_COSTS, DEFAULT_SIM_SERVICE, type FamilyTrace, type TraceRequest } from "@llmux/core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SimEvent, freePort, levelTwoWakeKnobs, readSimEvents, simBinPath } from "@llmux/vllm-sim/testing";
import { Agent, request } from "undici";
import { startLlmux } from "./llmux.js";
import { knobArgs, startSim } from "./sim-process.js";

/**
 * Live replays run every time of the trace (arrivals, costs, decode rate)
 * SCALE times faster than the simulator's defaults, so a 200 s trace takes
 * 20 s; the figures are multiplied back by SCALE.
 */
export const SCALE = 10;
/** Decode rate of the simulator's defaults (tokens/s per sequence). */
export const TOKENS_PER_SEC = DEFAULT_SIM_SERVICE.tokensPerSec;
/** Requests in one engine at once, live (llmux's `max_concurrency`) and simulated (the engine's batch). */
export const BATCH = 8;

export interface ReplayOutcome {
  model: string;
  status: number;
  /** Arrival → first answer event, or → the error's head (seconds, scaled back). */
  waitSecs: number;
  /** Arrival → response head of a 429, in real milliseconds (not scaled). */
  refusedInMs?: number;
  retryAfterSecs?: number;
  errorCode?: string;
  done: boolean;
  /** Real milliseconds from the replay's start: sent, first answer event, end of the answer. */
  sentMs: number;
  firstMs?: number;
  endMs: number;
  /** The `x-request-id` the replay gave it (the engine's event log carries it). */
  requestId: string;
  tokens: number;
}

export interface LiveRun {
  outcomes: ReplayOutcome[];
  switches: number;
  /** Seconds draining (scaled back), from the switch log. */
  drainSecs: number;
  makespanSecs: number;
  /** vllm-sim's own boot before its `startup-ms` began, real ms (taken off the configured cold start). */
  simBootMs: number;
  /** The engines' event log (request_start/request_end with request_id, sleep, wake). */
  events: SimEvent[];
  /** llmux's switch log lines, as printed. */
  switchLog: Record<string, unknown>[];
}

/**
 * The trace simulator's cold start is spawn to ready; vllm-sim's `startup-ms`
 * begins after Node has started it (0.3–1 s on a busy host, 3–10 s once
 * scaled back). One vllm-sim with no load time, spawn to its `ready` event.
 */
async function measureSimBoot(): Promise<number> {
  const folder = mkdtempSync(join(tmpdir(), "llmux-sim-boot-"));
  try {
    const eventLog = join(folder, "events.jsonl");
    const spawnedAt = Date.now();
    const sim = await startSim({ model: "boot", knobs: { "startup-ms": 1 }, stateDir: folder, eventLog });
    await sim.tracked.stop();
    const ready = readSimEvents(eventLog).find((event) => event.event === "ready");
    if (!ready) throw new Error("vllm-sim logged no ready event");
    return ready.t - spawnedAt;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Replay `trace` through the built llmux binary against vllm-sim engines. */
export async function replayLive(family: FamilyTrace, trace: readonly TraceRequest[], policy: Record<string, unknown>): Promise<LiveRun> {
  const ms = (value: number) => Math.max(1, Math.round(value / SCALE));
  const simBootMs = await measureSimBoot();
  const knobs = {
    "startup-ms": Math.max(1, ms(DEFAULT_SIM_COSTS.startMs) - simBootMs),
    "sleep1-ms": ms(DEFAULT_SIM_COSTS.sleepMs[1]),
    "wake1-ms": ms(DEFAULT_SIM_COSTS.wakeMs[1]),
    "sleep2-ms": ms(DEFAULT_SIM_COSTS.sleepMs[2]),
    ...levelTwoWakeKnobs(ms(DEFAULT_SIM_COSTS.wakeMs[2])),
    "ttft-ms": ms(DEFAULT_SIM_SERVICE.ttftMs),
    "tokens-per-sec": TOKENS_PER_SEC * SCALE,
  };
  const models: Record<string, Parameters<typeof startLlmux>[0]["models"][string] & Record<string, unknown>> = {};
  for (const [name, level] of Object.entries(family.sleepLevels)) {
    models[name] = {
      model_path: `sim/${name}`,
      port: await freePort(),
      sleep_level: level,
      extra_args: knobArgs(knobs),
      decode_tokens_per_sec: TOKENS_PER_SEC * SCALE,
      max_concurrency: BATCH,
    };
  }
  const switchLines: Record<string, unknown>[] = [];
  const llmux = await startLlmux({
    port: await freePort(),
    vllmCommand: simBinPath,
    models,
    policy,
    logLevel: "info",
    onLine: (line) => {
      if (!line.startsWith("{")) return;
      const parsed = JSON.parse(line) as { phases?: unknown; switch_id?: number };
      if (parsed.switch_id !== undefined && Array.isArray(parsed.phases)) switchLines.push(parsed);
    },
  });
  const agent = new Agent({ connections: 512 });
  try {
    const startedAt = performance.now();
    const outcomes = await Promise.all(trace.map((entry, index) => send(llmux.url, agent, entry, startedAt, `replay-${index}`)));
    const makespanSecs = ((performance.now() - startedAt) / 1000) * SCALE;
    const drainMs = switchLines.flatMap((line) => line.phases as { phase: string; duration_ms: number }[]).filter((phase) => phase.phase === "drain");
    return {
      outcomes,
      // As the trace simulator counts them: a first start from nothing is not a switch.
      switches: switchLines.filter((line) => Array.isArray(line.from) && line.from.length > 0).length,
      drainSecs: (drainMs.reduce((sum, phase) => sum + phase.duration_ms, 0) / 1000) * SCALE,
      makespanSecs,
      simBootMs,
      events: llmux.events(),
      switchLog: switchLines,
    };
  } finally {
    await agent.close();
    await llmux.stop();
  }
}

async function send(url: string, agent: Agent, entry: TraceRequest, startedAt: number, requestId: string): Promise<ReplayOutcome> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + (entry.t * 1000) / SCALE - performance.now())));
  const sent = performance.now();
  const times = (first: number | undefined) => ({
    requestId,
    tokens: entry.tokens,
    sentMs: sent - startedAt,
    ...(first === undefined ? {} : { firstMs: first - startedAt }),
    endMs: performance.now() - startedAt,
  });
  const response = await request(`${url}/v1/chat/completions`, {
    method: "POST",
    dispatcher: agent,
    headers: { "content-type": "application/json", "x-request-id": requestId },
    headersTimeout: 0,
    bodyTimeout: 0,
    body: JSON.stringify({
      model: entry.model,
      messages: [{ role: "user", content: "x" }],
      max_tokens: entry.tokens,
      ignore_eos: true,
      stream: true,
    }),
  });
  const headAt = performance.now();
  if (response.statusCode !== 200) {
    const body = (await response.body.json().catch(() => ({}))) as { error?: { code?: string } };
    const retry = Number(response.headers["retry-after"]);
    return {
      model: entry.model,
      status: response.statusCode,
      waitSecs: ((headAt - sent) / 1000) * SCALE,
      ...(response.statusCode === 429 ? { refusedInMs: headAt - sent } : {}),
      ...(Number.isFinite(retry) ? { retryAfterSecs: retry } : {}),
      ...(body.error?.code ? { errorCode: body.error.code } : {}),
      done: false,
      ...times(undefined),
    };
  }
  // The wait is until the first event of the answer (llmux may send `: waiting` comments before it).
  let firstDataAt: number | undefined;
  let text = "";
  for await (const chunk of response.body) {
    text += String(chunk);
    if (firstDataAt === undefined && text.includes("data: ")) firstDataAt = performance.now();
  }
  const errorCode = /"code":\s*"?(LLMUX_ERR_[A-Z_]+)/.exec(text)?.[1];
  return {
    model: entry.model,
    status: errorCode ? 500 : 200,
    waitSecs: (((firstDataAt ?? performance.now()) - sent) / 1000) * SCALE,
    ...(errorCode ? { errorCode } : {}),
    done: text.includes("data: [DONE]") && !errorCode,
    ...times(firstDataAt),
  };
}
