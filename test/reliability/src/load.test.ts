import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Agent } from "undici";
import { chat, getJson, type Outcome } from "./harness/client.js";
import { bump, printFigures } from "./harness/figures.js";
import { LlmuxRun } from "./harness/llmux-run.js";
import { SCALE } from "./harness/mode.js";
import { checkLog } from "./harness/sim-log.js";
import { establishedTo } from "./harness/tcp.js";
import { ms, quantile, runSeed, seededRandom } from "./harness/stats.js";

// 500 concurrent clients across three models (sleep levels 1, 2 and 3) that
// all want the one simulated GPU, so llmux switches all the time. Nothing may
// be lost, duplicated, answered by the wrong model or left hanging, and
// llmux's memory must stay bounded.

const MODELS = ["load-l1", "load-l2", "load-l3"] as const;
const run = new LlmuxRun();
const agent = new Agent({ connections: SCALE.loadClients + 16, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
const seed = runSeed();

beforeAll(async () => {
  await run.start({
    models: [
      { name: "load-l1", sleepLevel: 1 },
      { name: "load-l2", sleepLevel: 2 },
      { name: "load-l3", sleepLevel: 3 },
    ],
    policy: { request_timeout_secs: 300, drain_timeout_secs: 60 },
  });
});

afterAll(async () => {
  await agent.close().catch(() => undefined);
  const stopped = await run.stop();
  expect(stopped.leftBehind, "simulators left behind").toEqual([]);
});

test(`${SCALE.loadClients} concurrent clients across three models: nothing lost, duplicated or hanging`, async () => {
  const random = seededRandom(seed);
  const rssBefore = run.rssKib() ?? 0;
  let rssPeak = rssBefore;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      rssPeak = Math.max(rssPeak, run.rssKib() ?? 0);
      await sleep(250);
    }
  })();

  const startedAt = Date.now();
  const stopAt = startedAt + SCALE.loadMs;
  const outcomes: Outcome[] = [];
  let sent = 0;
  const clients = Array.from({ length: SCALE.loadClients }, async (_, index) => {
    // Each client mostly sticks to one model and sometimes asks another, so queues build on all three.
    const home = MODELS[index % MODELS.length]!;
    for (let request = 0; request < SCALE.loadRequestsPerClient && Date.now() < stopAt; request++) {
      const model = random() < 0.3 ? MODELS[Math.floor(random() * MODELS.length)]! : home;
      sent++;
      outcomes.push(await chat(run.url, model, { dispatcher: agent, stream: random() < 0.25, maxTokens: 8, timeoutMs: 330_000 }));
    }
  });
  await Promise.all(clients);
  const elapsedMs = Date.now() - startedAt;
  sampling = false;
  await sampler;

  // Every request ended inside llmux too: nothing queued or in flight, no open response.
  let idle = false;
  let lastStatus: unknown;
  for (let attempt = 0; attempt < 200 && !idle; attempt++) {
    const status = (await getJson(`${run.url}/llmux/status`)) as
      | { proxy?: { in_flight?: number }; models?: Array<{ queue_depth: number; in_flight: number }> }
      | undefined;
    lastStatus = status;
    const models = status?.models ?? [];
    idle = status?.proxy?.in_flight === 0 && models.length === MODELS.length && models.every((model) => model.queue_depth === 0 && model.in_flight === 0);
    if (!idle) await sleep(50);
  }
  if (!idle) process.stdout.write(`load: llmux status after the load:\n${JSON.stringify(lastStatus, null, 2)}\n`);

  // The clients hang up; llmux must let every connection go (none kept open by a stuck response).
  await agent.close();
  const llmuxPort = Number(run.config["port"]);
  let openConnections = establishedTo(llmuxPort);
  for (let attempt = 0; attempt < 200 && openConnections > 0; attempt++) {
    await sleep(50);
    openConnections = establishedTo(llmuxPort);
  }

  const events = run.workspace.events();
  const verdict = checkLog(events);
  const engineStarts = verdict.counts["request_start"] ?? 0;
  const engineCompleted = events.filter((event) => event.event === "request_end" && event["outcome"] === "completed").length;
  const byResult: Record<string, number> = {};
  for (const outcome of outcomes) bump(byResult, outcome.result);
  const ok = byResult["ok"] ?? 0;
  const lost = outcomes.filter((outcome) => outcome.status === 0).length;
  const latencies = outcomes.map((outcome) => outcome.durationMs);
  const rssAfter = run.rssKib() ?? 0;

  printFigures("load", {
    seed,
    clients: SCALE.loadClients,
    elapsedSecs: Math.round(elapsedMs / 100) / 10,
    requestsSent: sent,
    responses: outcomes.length,
    succeeded: ok,
    results: byResult,
    lost,
    wrongModel: byResult["wrong_model"] ?? 0,
    engineRequests: engineStarts,
    engineCompleted,
    duplicated: Math.max(0, engineStarts - sent),
    streams: outcomes.filter((outcome) => outcome.stream).length,
    switchesSleeps: verdict.counts["sleep"] ?? 0,
    wakes: verdict.counts["wake"] ?? 0,
    coldStarts: verdict.counts["ready"] ?? 0,
    latencyP50Ms: ms(quantile(latencies, 0.5)),
    latencyP99Ms: ms(quantile(latencies, 0.99)),
    latencyMaxMs: ms(quantile(latencies, 1)),
    rssBeforeMiB: Math.round(rssBefore / 1024),
    rssPeakMiB: Math.round(rssPeak / 1024),
    rssAfterMiB: Math.round(rssAfter / 1024),
    idleAfter: idle,
    openConnectionsAfter: openConnections,
    engineCrashes: verdict.crashReasons,
  });

  expect(outcomes.length, "every request got exactly one outcome").toBe(sent);
  expect(byResult, "every request succeeded, answered by its own model").toEqual({ ok: sent });
  // Each client request reached an engine exactly once: no retry duplicated one, none was dropped.
  expect(engineStarts).toBe(sent);
  expect(engineCompleted).toBe(sent);
  expect(verdict.forbiddenCrashes).toEqual([]);
  expect(verdict.requestsWhileAsleep).toBe(0);
  expect(verdict.sleepsWhileRunning).toBe(0);
  expect(openConnections, "client connections llmux kept open after the clients closed").toBe(0);
  expect(idle, "llmux still holds a queued or in-flight request after every client finished").toBe(true);
  // Generous: llmux holds no per-request state after the load; a leak of 500 clients' bodies would show.
  expect(rssPeak / 1024).toBeLessThan(1024);
});
