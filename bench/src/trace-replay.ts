import type { FamilyTrace, TraceRequest } from "@llmux/core";
import { BATCH, type ReplayOutcome, SCALE, TOKENS_PER_SEC, replayRequests, replaySimArgs } from "@llmux/live-replay";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SimEvent, freePort, readSimEvents, simBinPath } from "@llmux/vllm-sim/testing";
import { Agent } from "undici";
import { startLlmux } from "./llmux.js";
import { startSim } from "./sim-process.js";

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
  const simBootMs = await measureSimBoot();
  const models: Record<string, Parameters<typeof startLlmux>[0]["models"][string] & Record<string, unknown>> = {};
  for (const [name, level] of Object.entries(family.sleepLevels)) {
    models[name] = {
      model_path: `sim/${name}`,
      port: await freePort(),
      sleep_level: level,
      extra_args: replaySimArgs(simBootMs),
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
    const { outcomes, makespanSecs } = await replayRequests(llmux.url, agent, trace);
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
