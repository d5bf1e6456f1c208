import { DEFAULT_SIM_COSTS, DEFAULT_SIM_SERVICE, type FamilyTrace, type TraceRequest } from "@llmux/core";
import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { Agent, request } from "undici";
import { startLlmux } from "./llmux.js";
import { knobArgs } from "./sim-process.js";

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
}

export interface LiveRun {
  outcomes: ReplayOutcome[];
  switches: number;
  /** Seconds draining (scaled back), from the switch log. */
  drainSecs: number;
  makespanSecs: number;
}

/** Replay `trace` through the built llmux binary against vllm-sim engines. */
export async function replayLive(family: FamilyTrace, trace: readonly TraceRequest[], policy: Record<string, unknown>): Promise<LiveRun> {
  const ms = (value: number) => Math.max(1, Math.round(value / SCALE));
  const knobs = {
    "startup-ms": ms(DEFAULT_SIM_COSTS.startMs),
    "sleep1-ms": ms(DEFAULT_SIM_COSTS.sleepMs[1]),
    "wake1-ms": ms(DEFAULT_SIM_COSTS.wakeMs[1]),
    "sleep2-ms": ms(DEFAULT_SIM_COSTS.sleepMs[2]),
    "wake2-ms": ms(DEFAULT_SIM_COSTS.wakeMs[2]),
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
  const switchLines: { drain_ms: number }[] = [];
  const llmux = await startLlmux({
    port: await freePort(),
    vllmCommand: simBinPath,
    models,
    policy,
    logLevel: "info",
    onLine: (line) => {
      if (!line.startsWith("{")) return;
      const parsed = JSON.parse(line) as { phases?: { phase: string; duration_ms: number }[]; switch_id?: number };
      if (parsed.switch_id !== undefined && Array.isArray(parsed.phases)) {
        switchLines.push({ drain_ms: parsed.phases.filter((phase) => phase.phase === "drain").reduce((sum, phase) => sum + phase.duration_ms, 0) });
      }
    },
  });
  const agent = new Agent({ connections: 512 });
  try {
    const startedAt = performance.now();
    const outcomes = await Promise.all(trace.map((entry) => send(llmux.url, agent, entry, startedAt)));
    const makespanSecs = ((performance.now() - startedAt) / 1000) * SCALE;
    return { outcomes, switches: switchLines.length, drainSecs: (switchLines.reduce((sum, line) => sum + line.drain_ms, 0) / 1000) * SCALE, makespanSecs };
  } finally {
    await agent.close();
    await llmux.stop();
  }
}

async function send(url: string, agent: Agent, entry: TraceRequest, startedAt: number): Promise<ReplayOutcome> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + (entry.t * 1000) / SCALE - performance.now())));
  const sent = performance.now();
  const response = await request(`${url}/v1/chat/completions`, {
    method: "POST",
    dispatcher: agent,
    headers: { "content-type": "application/json" },
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
  };
}
