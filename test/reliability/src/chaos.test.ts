import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Agent } from "undici";
import { chat, injectFault, modelStates, type Outcome } from "./harness/client.js";
import { bump, printFigures } from "./harness/figures.js";
import { LlmuxRun } from "./harness/llmux-run.js";
import { metricTotals } from "./harness/metrics.js";
import { SCALE } from "./harness/mode.js";
import { checkLog } from "./harness/sim-log.js";
import { ms, quantile, runSeed, seededRandom } from "./harness/stats.js";

// A bounded load across three models (sleep levels 1, 2 and 3) while faults
// are injected at random into their simulators. Every request must end before
// its timeout with an answer from its own model or an OpenAI-shaped error with
// a meaningful status; no engine may see a request while asleep or a sleep
// with requests running; once the faults stop every model must serve again;
// and no process may be left behind.

const MODELS = ["chaos-l1", "chaos-l2", "chaos-l3"] as const;
const SLEEPERS = ["chaos-l1", "chaos-l2"];
// The list, plus a hung wake and an engine dying mid-stream.
const FAULTS = [
  "crash_awake",
  "crash_asleep",
  "fail_sleep",
  "hang_sleep",
  "fail_wake",
  "hang_wake",
  "crash_mid_stream",
  "startup_failure",
  "slow_start",
] as const;
type FaultKind = (typeof FAULTS)[number];
/** The client's own bound: past the queue timeout (20 s) plus a switch with a slow start. */
const CLIENT_TIMEOUT_MS = 60_000;
/** Statuses an error may carry when an engine failed under a request (llmux's own, or a switch that could not finish). */
const MEANINGFUL = new Set([502, 503, 504]);

const run = new LlmuxRun();
const agent = new Agent({ connections: 64 });
const seed = runSeed();

beforeAll(async () => {
  await run.start({
    models: MODELS.map((name, index) => ({ name, sleepLevel: (index + 1) as 1 | 2 | 3 })),
    chaosWrapper: true,
    metrics: true,
    policy: {
      request_timeout_secs: 20,
      // Anti-thrash: a model stays up a moment, so faults that need an awake engine find one.
      min_active_secs: 1,
      sleep_timeout_secs: 2,
      wake_timeout_secs: 5,
      startup_backoff_secs: 1,
      drain_timeout_secs: 10,
      stop_grace_secs: 1,
    },
  });
  mkdirSync(run.flagDir, { recursive: true });
});

afterAll(async () => {
  await agent.close();
  await run.stop();
});

interface Injected {
  kind: FaultKind;
  model: string;
  at: number;
}

test("chaos: faults at random under load; every request ends, right model, nothing left behind", async () => {
  const random = seededRandom(seed);
  const startedAt = Date.now();
  const stopAt = startedAt + SCALE.chaosMs;
  const outcomes: Array<Outcome & { endedAt: number }> = [];
  const injected: Injected[] = [];
  const skipped: Record<string, number> = {};
  const statesSeen: Record<string, number> = {};

  const clients = Array.from({ length: SCALE.chaosClients }, async () => {
    // Bounded in time (stopAt) and so in count: each request takes at least one round trip.
    while (Date.now() < stopAt) {
      const model = MODELS[Math.floor(random() * MODELS.length)]!;
      const outcome = await chat(run.url, model, { dispatcher: agent, stream: random() < 0.25, maxTokens: 6, timeoutMs: CLIENT_TIMEOUT_MS });
      outcomes.push({ ...outcome, endedAt: Date.now() });
      await sleep(Math.floor(random() * 50));
    }
  });

  const injector = (async () => {
    while (Date.now() < stopAt) {
      await sleep(Math.floor(SCALE.chaosFaultEveryMs * (0.5 + random())));
      if (Date.now() >= stopAt) break;
      const states = await modelStates(run.url);
      for (const model of states) bump(statesSeen, model.state);
      const inState = (state: string, among: readonly string[] = MODELS): string[] =>
        states.filter((model) => model.state === state && among.includes(model.name)).map((model) => model.name);
      // Under steady switching an up model is mostly draining (another model's requests wait): its engine is awake.
      const up = (among: readonly string[] = MODELS): string[] => [...inState("awake", among), ...inState("draining", among)];
      // Every (fault, model) that applies now. Faults that need a state (awake, asleep) go first when one
      // applies, and among them the kind injected least so far, so each kind is covered even in a short run.
      const stateful: Array<[FaultKind, string]> = [
        ...up().map((name): [FaultKind, string] => ["crash_awake", name]),
        ...inState("asleep").map((name): [FaultKind, string] => ["crash_asleep", name]),
        // Armed now, these fire at the model's next eviction (level 3 is a stop, never a /sleep).
        ...up(SLEEPERS).flatMap(
          (name): Array<[FaultKind, string]> => [
            ["fail_sleep", name],
            ["hang_sleep", name],
          ],
        ),
        ...inState("asleep", SLEEPERS).flatMap(
          (name): Array<[FaultKind, string]> => [
            ["fail_wake", name],
            ["hang_wake", name],
          ],
        ),
        ...up().map((name): [FaultKind, string] => ["crash_mid_stream", name]),
      ];
      // Consumed by the chaos wrapper at the model's next start (level 3's next wake, or a restart after a crash).
      const startup = MODELS.flatMap(
        (name): Array<[FaultKind, string]> => [
          ["startup_failure", name],
          ["slow_start", name],
        ],
      );
      const candidates = stateful.length > 0 && random() < 0.75 ? stateful : startup;
      const used = (kind: FaultKind): number => injected.filter((fault) => fault.kind === kind).length;
      const fewest = Math.min(...candidates.map(([kind]) => used(kind)));
      const choices = candidates.filter(([kind]) => used(kind) === fewest);
      const [kind, target] = choices[Math.floor(random() * choices.length)]!;
      let done = false;
      switch (kind) {
        case "crash_awake":
        case "crash_asleep":
          done = await injectFault(run.simUrl(target), "crash");
          break;
        case "fail_sleep":
        case "hang_sleep":
        case "fail_wake":
        case "hang_wake":
        case "crash_mid_stream":
          done = await injectFault(run.simUrl(target), kind);
          break;
        case "startup_failure":
        case "slow_start":
          writeFileSync(join(run.flagDir, `${target}.${kind === "slow_start" ? "slow-start" : "fail-start"}`), "1");
          done = true;
          break;
      }
      if (done) injected.push({ kind, model: target, at: Date.now() });
      else bump(skipped, kind);
    }
  })();

  await Promise.all([...clients, injector]);
  const loadEndedAt = Date.now();
  // The faults stop: no start-up fault may stay armed for the recovery check.
  rmSync(run.flagDir, { recursive: true, force: true });
  mkdirSync(run.flagDir, { recursive: true });

  // After the faults, every model serves again (a failed start backs off for 1 s; give each a bounded number of tries).
  const recoveryMs: Record<string, number> = {};
  const unrecovered: string[] = [];
  for (const model of MODELS) {
    const from = Date.now();
    let ok = false;
    for (let attempt = 0; attempt < 40 && !ok && Date.now() - from < 90_000; attempt++) {
      const outcome = await chat(run.url, model, { dispatcher: agent, timeoutMs: CLIENT_TIMEOUT_MS });
      outcomes.push({ ...outcome, endedAt: Date.now() });
      ok = outcome.result === "ok";
      if (!ok) await sleep(500);
    }
    if (ok) recoveryMs[model] = Date.now() - from;
    else unrecovered.push(model);
  }

  const metrics = await metricTotals(run.metricsUrl, ["llmux_switches_total", "llmux_escalations_total", "llmux_model_restarts_total"]);
  const stopped = await run.stop();
  const verdict = checkLog(stopped.events);

  const byReason: Record<string, number> = {};
  const faultsByKind: Record<string, number> = {};
  for (const outcome of outcomes) if (outcome.result !== "ok") bump(byReason, outcome.result);
  for (const fault of injected) bump(faultsByKind, fault.kind);
  // A fault is recovered from when its model answered correctly after it.
  const recovered = injected.filter((fault) =>
    outcomes.some((outcome) => outcome.model === fault.model && outcome.result === "ok" && outcome.endedAt > fault.at),
  ).length;
  const hung = outcomes.filter((outcome) => outcome.result === "timeout");
  // vLLM's own 500 (its error shape, not an llmux code) reaches the client when the engine dies under a
  // running request; that is allowed only right after a crash was injected into that model.
  const afterCrash = (outcome: Outcome & { endedAt: number }): boolean =>
    injected.some(
      (fault) => fault.model === outcome.model && fault.kind.startsWith("crash") && fault.at <= outcome.endedAt && outcome.endedAt - fault.at < 15_000,
    );
  const engineErrors = outcomes.filter(
    (outcome) => outcome.status === 500 && !outcome.result.includes(":LLMUX_") && outcome.result.startsWith("http_500:") && afterCrash(outcome),
  );
  const badErrors = outcomes.filter(
    (outcome) =>
      outcome.result !== "ok" &&
      !outcome.result.startsWith("stream_error:") &&
      !engineErrors.includes(outcome) &&
      !(MEANINGFUL.has(outcome.status) && outcome.result.startsWith(`http_${outcome.status}:`)),
  );
  const latencies = outcomes.map((outcome) => outcome.durationMs);

  printFigures("chaos", {
    seed,
    loadSecs: Math.round((loadEndedAt - startedAt) / 100) / 10,
    clients: SCALE.chaosClients,
    requestsSent: outcomes.length,
    succeeded: outcomes.length - Object.values(byReason).reduce((sum, count) => sum + count, 0),
    failedByReason: byReason,
    engineErrorsPassedThrough: engineErrors.length,
    engineErrorSample: engineErrors[0]?.detail ?? "none",
    faultsInjected: injected.length,
    faultsByKind,
    faultsSkippedNoTarget: skipped,
    statesSeenByInjector: statesSeen,
    recoveries: `${recovered}/${injected.length}`,
    recoveryAfterFaultsMs: recoveryMs,
    unrecoveredModels: unrecovered.join(",") || "none",
    switches: metrics["llmux_switches_total"] ?? 0,
    escalations: metrics["llmux_escalations_total"] ?? 0,
    restarts: metrics["llmux_model_restarts_total"] ?? 0,
    engineCrashes: verdict.crashReasons,
    latencyP50Ms: ms(quantile(latencies, 0.5)),
    latencyP99Ms: ms(quantile(latencies, 0.99)),
    latencyMaxMs: ms(quantile(latencies, 1)),
    llmuxExit: `${stopped.exit?.code ?? "none"}/${stopped.exit?.signal ?? "-"}`,
    simulatorsStarted: stopped.simPids.length,
    simulatorsLeftBehind: stopped.leftBehind.length,
  });

  expect(
    hung.map((outcome) => outcome.model),
    "requests that did not end before their timeout",
  ).toEqual([]);
  expect(
    badErrors.map((outcome) => `${outcome.model}: ${outcome.result} ${outcome.detail ?? ""}`),
    "failures without an OpenAI-shaped 502/503/504",
  ).toEqual([]);
  expect(byReason["wrong_model"] ?? 0, "answers from the wrong model").toBe(0);
  expect(verdict.forbiddenCrashes, "engine crashes llmux caused").toEqual([]);
  expect(verdict.requestsWhileAsleep, "requests that reached a sleeping engine").toBe(0);
  expect(verdict.sleepsWhileRunning, "sleeps with requests running").toBe(0);
  expect(unrecovered, "models that did not serve again after the faults").toEqual([]);
  expect(stopped.exit, "llmux's exit on SIGTERM").toEqual({ code: 0, signal: null });
  expect(stopped.leftBehind, "simulators left behind").toEqual([]);
});
