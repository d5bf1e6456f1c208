import type { TraceRequest } from "@llmux/core";
import { seededRandom } from "@llmux/core";
import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { Agent, request } from "undici";
import { type LlmuxModel, type RunningLlmux, startLlmux } from "../llmux.js";
import { knobArgs } from "../sim-process.js";
import { percentile } from "../stats.js";
import { type PodMetrics, extractPodMetrics, parseExposition } from "./picker-rules.js";
import { shippedScorers } from "./picker-config.js";
import { shippedPodPolicy } from "./pod-config.js";
import { type PickRecord, PodLogs, type TailEntry, byPickView, diagnoseTail } from "./tail-diagnosis.js";
import { type Router, type WeightedScorer, emptyPodMetrics, metricPicker, modelHash, roundRobin } from "./routers.js";

export type RouterName = "round-robin" | "model-hash" | "metric picker";

export interface FleetOptions {
  pods: number;
  models: readonly string[];
  trace: readonly TraceRequest[];
  router: RouterName;
  /** vllm-sim knobs of every model (timings scaled down for a shared machine). */
  knobs: Record<string, number>;
  /** How often each pod's `/metrics` is scraped (the picker's refresh interval). */
  scrapeIntervalMs?: number;
  /** The picker's scorers and weights (default: the shipped picker config's profile). */
  scorers?: readonly WeightedScorer[];
  /** Seed of the picker's tie breaks. */
  seed?: number;
  /** Every pod's llmux policy (default: the shipped pool config's, scaled to the knobs by `shippedPodPolicy`). */
  policy?: Record<string, unknown>;
  /**
   * The trace's first seconds bring the fleet to the router's own steady
   * state and are not measured (switches, latency); a request lost there
   * still counts. Without it every run starts from the warm-up's artefact:
   * the same model awake on every pod.
   */
  warmupSecs?: number;
  /** Log every pod's switches and report where the slowest 1% spent their time (`FleetResult.tail`). */
  diagnose?: boolean;
}

export interface FleetResult {
  router: RouterName;
  requests: number;
  /** Requests arriving after the warm-up, the ones measured. */
  measured: number;
  lost: number;
  firstError: string | undefined;
  switches: number;
  switchesPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  /** p99 over every request, the warm-up's included. */
  p99AllMs: number;
  /** The five slowest requests, for reading a tail: arrival (s), model, pod, latency. */
  slowest: { t: number; model: string; pod: number; ms: number }[];
  /** With `diagnose`: the slowest 1% measured, with the router's view at the pick and the pod's switches meanwhile. */
  tail?: TailEntry[];
  /** With `diagnose`: latency by what the picker's view showed for the model at the pick. */
  groups?: string[];
}

/** One llmux pod's config: every model, one simulated GPU of its own (the pod's temp state dir), metrics on the proxy port. */
async function startPod(
  models: readonly string[],
  knobs: Record<string, number>,
  policy: Record<string, unknown>,
  onLine?: (line: string) => void,
): Promise<RunningLlmux> {
  // No `port`: each engine on a Unix socket of its own, so 48 engines per fleet
  // cannot lose a TCP port to another process between choosing and binding it.
  // 0.8 leaves room for every sleeper's reserve beside the awake model.
  const entries: [string, LlmuxModel][] = models.map((model) => [
    model,
    { model_path: `sim/${model}`, sleep_level: 1, gpu_memory_utilization: 0.8, extra_args: knobArgs(knobs) },
  ]);
  return startLlmux({
    port: await freePort(),
    vllmCommand: simBinPath,
    models: Object.fromEntries(entries),
    policy,
    config: { metrics_on_proxy_port: true },
    ...(onLine ? { logLevel: "info", onLine } : {}),
  });
}

async function scrape(url: string, dispatcher: Agent): Promise<string> {
  const response = await request(`${url}/metrics`, { dispatcher, headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${url}/metrics answered ${response.statusCode}`);
  return text;
}

async function ask(url: string, model: string, tokens: number, dispatcher: Agent): Promise<void> {
  const response = await request(`${url}/v1/chat/completions`, {
    method: "POST",
    dispatcher,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: tokens }),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${model} answered ${response.statusCode}: ${text.slice(0, 200)}`);
}

async function countSwitches(pods: readonly RunningLlmux[], dispatcher: Agent): Promise<number> {
  return (await Promise.all(pods.map((pod) => scrape(pod.url, dispatcher)))).reduce((sum, text) => sum + switchesOf(text), 0);
}

/** Every switch a pod made (llmux_switches_total over all label sets). */
function switchesOf(text: string): number {
  return (parseExposition(text).get("llmux_switches_total")?.samples ?? []).reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * Start `pods` llmux instances, replay `trace` through one router in real
 * time, and count switches (from every pod's metrics), latency and lost
 * requests. The pods are stopped at the end, also on failure.
 */
export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const policy = { request_timeout_secs: 120, ...(options.policy ?? shippedPodPolicy(options.knobs)) };
  const pods: RunningLlmux[] = [];
  const dispatcher = new Agent({ connections: 256, headersTimeout: 130_000, bodyTimeout: 130_000 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const logs = new PodLogs(options.pods);
    const onLine = (pod: number) => (options.diagnose ? (line: string) => logs.add(pod, line) : undefined);
    pods.push(...(await Promise.all(Array.from({ length: options.pods }, (_, pod) => startPod(options.models, options.knobs, policy, onLine(pod))))));
    // A fleet that has been running: every engine started once (and asleep), so
    // the trace measures switches, not the first cold starts.
    await Promise.all(
      pods.map(async (pod) => {
        for (const model of options.models) await ask(pod.url, model, 1, dispatcher);
      }),
    );
    const warmupMs = (options.warmupSecs ?? 0) * 1000;
    // Without a warm-up, counted before the first request can start a switch.
    let switchesBefore: Promise<number> | undefined = warmupMs === 0 ? Promise.resolve(await countSwitches(pods, dispatcher)) : undefined;
    const latest: PodMetrics[] = pods.map(() => emptyPodMetrics());
    // Wall-clock ms each pod's view was asked for, and whether a scrape of it is still out.
    const scrapedAt = pods.map(() => 0);
    const scraping = pods.map(() => false);
    const refresh = (): void => {
      pods.forEach((pod, index) => {
        // One scrape per pod at a time, as the picker's per-pod collector: a slow answer
        // must not overwrite a newer one.
        if (scraping[index]) return;
        scraping[index] = true;
        const askedAt = performance.timeOrigin + performance.now();
        scrape(pod.url, dispatcher)
          .then(
            (text) => {
              // A scrape the picker cannot read leaves its previous view, as the picker does.
              try {
                latest[index] = extractPodMetrics(text);
                scrapedAt[index] = askedAt;
              } catch {}
            },
            () => undefined,
          )
          .finally(() => {
            scraping[index] = false;
          });
      });
    };
    refresh();
    timer = setInterval(refresh, options.scrapeIntervalMs ?? 100);
    const router = makeRouter(options, () => latest);
    const all: number[] = [];
    const latencies: number[] = [];
    const timed: { t: number; model: string; pod: number; ms: number; pick: PickRecord }[] = [];
    let lost = 0;
    let firstError: string | undefined;
    const started = performance.now();
    const warmedUp = new Promise<void>((resolve) => setTimeout(resolve, warmupMs)).then(() => {
      switchesBefore ??= countSwitches(pods, dispatcher);
    });
    await Promise.all(
      options.trace.map(async (item) => {
        const wait = started + item.t * 1000 - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const pick: PickRecord = { at: performance.timeOrigin + performance.now(), view: options.diagnose ? latest.slice() : [], scrapedAt: scrapedAt.slice() };
        const index = router.pick(item.model);
        if (options.diagnose) logs.picked(index, pick.at, item.model);
        const pod = pods[index] as RunningLlmux;
        const begin = performance.now();
        try {
          await ask(pod.url, item.model, item.tokens, dispatcher);
        } catch (error) {
          lost++;
          firstError ??= (error as Error).message;
          return;
        }
        all.push(performance.now() - begin);
        if (item.t * 1000 < warmupMs) return;
        latencies.push(performance.now() - begin);
        timed.push({ t: item.t, model: item.model, pod: index, ms: Math.round(performance.now() - begin), pick });
      }),
    );
    clearInterval(timer);
    timer = undefined;
    await warmedUp;
    const switches = (await countSwitches(pods, dispatcher)) - ((await switchesBefore) ?? 0);
    const measured = options.trace.filter((item) => item.t * 1000 >= warmupMs).length;
    return {
      router: options.router,
      requests: options.trace.length,
      measured,
      lost,
      firstError,
      switches,
      switchesPerRequest: switches / Math.max(1, measured),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      p99AllMs: percentile(all, 99),
      slowest: [...timed]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map(({ t, model, pod, ms }) => ({ t, model, pod, ms })),
      ...(options.diagnose ? { groups: byPickView(timed) } : {}),
      ...(options.diagnose ? { tail: diagnoseTail(timed, logs, options.router === "metric picker" ? (options.scorers ?? shippedScorers()) : undefined) } : {}),
    };
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(pods.map((pod) => pod.stop()));
    await dispatcher.close();
  }
}

function makeRouter(options: FleetOptions, latest: () => readonly PodMetrics[]): Router {
  switch (options.router) {
    case "round-robin":
      return roundRobin(options.pods);
    case "model-hash":
      return modelHash(options.pods);
    case "metric picker":
      return metricPicker({
        metrics: latest,
        scorers: options.scorers ?? shippedScorers(),
        random: seededRandom(options.seed ?? 1),
      });
  }
}
