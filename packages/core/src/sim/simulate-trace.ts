import { VirtualClock } from "../clock.js";
import { parseConfig } from "../config/parse-config.js";
import type { LlmuxConfig } from "../config/types.js";
import { Multiplexer } from "../multiplexer.js";
import type { Policy } from "../policy.js";
import { POLICIES } from "../policies/index.js";
import { SimEngine, type SimEngineCostsInput, DEFAULT_SIM_COSTS, costsFromExpected, mergeCosts } from "./sim-engine.js";
import { DEFAULT_SIM_SERVICE, SimServer, type SimJob, type SimServiceOptions } from "./sim-server.js";
import { maxOf, percentile, unionMs, type PolicyResult } from "./sim-results.js";
import type { TraceRequest } from "./trace.js";
import { LatencyLog } from "./latency-breakdown.js";
import { type FirstWait, TurnLog } from "./turn-log.js";
import { maxNumSeqs } from "../config/max-num-seqs.js";
import { FAMILY_MAX_WAIT_SECS, type FamilyTrace } from "./trace-family.js";

export interface SimulateTraceOptions {
  trace: readonly TraceRequest[];
  /** Config to run; default: one model per trace model on one GPU, 0.9 each, sleep level 1, no request timeout in practice. */
  config?: LlmuxConfig;
  /** Policies to compare; default: every built-in policy. */
  policies?: readonly Policy[];
  /** Engine costs for every model (over the defaults, then each model's `expected_costs` from the config). */
  costs?: SimEngineCostsInput;
  /** Engine costs per model (over `costs`). */
  modelCosts?: Record<string, SimEngineCostsInput>;
  /** Service model for every model (over the defaults). */
  service?: Partial<SimServiceOptions>;
  /** Service model per model (over `service`). */
  modelService?: Record<string, Partial<SimServiceOptions>>;
  /**
   * Start every model once and put it to sleep before the trace begins (the
   * steady state of a running llmux), so first-use cold starts do not dominate
   * the comparison. Default true.
   */
  prewarm?: boolean;
}

/**
 * The default config for a trace: its models on one GPU, sleep level 1,
 * `max_wait_secs` 60 (the committed traces are busy; see the README).
 */
export function traceConfig(trace: readonly TraceRequest[], policy: Record<string, unknown> = {}): LlmuxConfig {
  const names = [...new Set(trace.map((r) => r.model))].sort();
  return parseConfig({
    models: Object.fromEntries(names.map((name, index) => [name, { model_path: `sim/${name}`, port: 8001 + index }])),
    policy: { sleep_level: 1, request_timeout_secs: 3600, drain_timeout_secs: 60, max_wait_secs: 60, ...policy },
  });
}

/** The config for a family trace: as `traceConfig`, with each model's sleep level from the trace. */
export function familyConfig(family: FamilyTrace, policy: Record<string, unknown> = {}): LlmuxConfig {
  const names = Object.keys(family.sleepLevels).sort();
  return parseConfig({
    models: Object.fromEntries(
      names.map((name, index) => [
        name,
        {
          model_path: `sim/${name}`,
          port: 8001 + index,
          sleep_level: family.sleepLevels[name],
          extra_args: ["--max-num-seqs", String(DEFAULT_SIM_SERVICE.maxConcurrency)],
        },
      ]),
    ),
    policy: { request_timeout_secs: 3600, drain_timeout_secs: 300, max_wait_secs: FAMILY_MAX_WAIT_SECS, ...policy },
  });
}

/**
 * `config` as llmux ran before it held the queue: every request goes into
 * vLLM at once (no admission limit). The fifo baseline of the comparisons
 * runs this way, so it is the original llmux, not fifo under the new limit.
 */
export function withoutAdmissionLimit(config: LlmuxConfig): LlmuxConfig {
  const models = Object.fromEntries(Object.entries(config.models).map(([name, model]) => [name, { ...model, max_concurrency: Number.MAX_SAFE_INTEGER }]));
  return { ...config, models };
}

/** Run `trace` once per policy in virtual time against simulated engines. */
export async function simulateTrace(options: SimulateTraceOptions): Promise<PolicyResult[]> {
  const config = options.config ?? traceConfig(options.trace);
  const policies = options.policies ?? Object.values(POLICIES);
  const results: PolicyResult[] = [];
  for (const policy of policies) results.push(await simulateOne(options, config, policy));
  return results;
}

/** What the event listener gathers about switches and drains. */
interface SwitchTally {
  switches: number;
  longestSwitchMs: number;
  longestCostMs: number;
  switchSpans: [number, number][];
  drainSpans: [number, number][];
  drains: number[];
  /** Sleeps and stops by `idle_timeout_secs` / `asleep_timeout_secs`. */
  idleActions: number;
  /** Per model: how often a switch put it away. */
  evictions: Record<string, number>;
}

function watchSwitches(mux: Multiplexer, clock: VirtualClock, after: () => number): SwitchTally {
  const tally: SwitchTally = { switches: 0, longestSwitchMs: 0, longestCostMs: 0, switchSpans: [], drainSpans: [], drains: [], idleActions: 0, evictions: {} };
  mux.on((event) => {
    if (clock.now() < after()) return;
    if (event.type === "idle") tally.idleActions++;
    if (event.type !== "switch-end") return;
    const record = event.record;
    // Idle and admin sleeps are recorded too; the tally counts switches that bring a model up, as before.
    if (record.to === null) return;
    if (record.result === "ok") for (const model of record.from) tally.evictions[model] = (tally.evictions[model] ?? 0) + 1;
    const drainMs = maxOf(record.phases.filter((p) => p.phase === "drain").map((p) => p.durationMs));
    if (record.result !== "aborted" && record.from.length > 0) {
      tally.switches++;
      tally.longestSwitchMs = Math.max(tally.longestSwitchMs, record.durationMs);
      tally.longestCostMs = Math.max(tally.longestCostMs, record.durationMs - drainMs);
    }
    if (record.phases.some((p) => p.phase === "drain")) {
      tally.drains.push(drainMs);
      tally.drainSpans.push([record.startedAt, record.startedAt + drainMs]);
    }
    // Draining still serves requests: only the sleep/stop/wake/start time is lost to switching.
    tally.switchSpans.push([record.startedAt + drainMs, record.startedAt + record.durationMs]);
  });
  return tally;
}

async function simulateOne(options: SimulateTraceOptions, config: LlmuxConfig, policy: Policy): Promise<PolicyResult> {
  const clock = new VirtualClock(0, { settleTurns: 1 });
  const mux = new Multiplexer({
    config,
    clock,
    policy,
    engineFactory: (name, model) => {
      const costs = mergeCosts(DEFAULT_SIM_COSTS, costsFromExpected(model.expected_costs), options.costs, options.modelCosts?.[name]);
      return new SimEngine({ name, url: `http://127.0.0.1:${model.port}`, clock, costs });
    },
  });
  let offset = Infinity;
  const tally = watchSwitches(mux, clock, () => offset);
  const servers = new Map<string, SimServer>();
  const serverOf = (model: string): SimServer => {
    let server = servers.get(model);
    if (!server) {
      // vLLM's batch is its --max-num-seqs when the config sets one; the decode rate is the model's decode_tokens_per_sec.
      const seqs = Number(maxNumSeqs(config.models[model]?.extra_args ?? [])?.value);
      const batch = Number.isInteger(seqs) && seqs > 0 ? { maxConcurrency: seqs } : {};
      const rate = config.models[model] ? { tokensPerSec: config.models[model].decode_tokens_per_sec } : {};
      const service: SimServiceOptions = { ...DEFAULT_SIM_SERVICE, ...batch, ...rate, ...options.service, ...options.modelService?.[model] };
      server = new SimServer(clock, service, (begin, end) => busySpans.push([begin, end]));
      servers.set(model, server);
    }
    return server;
  };
  const busySpans: [number, number][] = [];
  let paused = 0;
  const waits: number[] = [];
  /** Each first wait, to say which turns it waited through. */
  const firstWaits: FirstWait[] = [];
  const latencies: number[] = [];
  // Requests that arrived while their model was not awake: they waited for a switch (the other models' requests).
  const switchedLatencies: number[] = [];
  // Arrival to first token of the requests that waited for a switch: what pausing does to waits, apart from generation time.
  const switchedFirstTokens: number[] = [];
  const awake = new Set<string>();
  const log = new LatencyLog();
  const turns = new TurnLog(config);
  // The wait each queued request was promised (`policy.overload_refusal`), by request id.
  const promised = new Map<string, number>();
  let overPromised = 0;
  mux.on((event) => {
    turns.observe(event);
    if (event.type === "queued" && event.promisedMs !== undefined && event.requestId !== undefined) promised.set(event.requestId, event.promisedMs);
    if (event.type !== "state") return;
    log.state(event.model, event.at, event.to);
    if (event.to === "awake") awake.add(event.model);
    else awake.delete(event.model);
  });
  const generations: number[] = [];
  let failed = 0;
  let preempted = 0;
  let refused = 0;
  let done = 0;
  let lastEnd = 0;
  const trace = options.trace;

  // A request runs in parts when switches pause it (`max_drain_secs`): `produced` tokens are out, `pauses` so far.
  const arrive = (
    request: TraceRequest,
    requestId: string,
    resumeFrom?: {
      arrived: number;
      admitted: number;
      pausedMs: number;
      switched: boolean;
      produced: number;
      pauses: number;
      pausedAt: number;
      firstTokenAt: number | undefined;
    },
  ) => {
    const arrived = resumeFrom?.arrived ?? clock.now();
    const switched = resumeFrom?.switched ?? !awake.has(request.model);
    const produced = resumeFrom?.produced ?? 0;
    const limit = request.max_tokens === undefined ? {} : { maxTokens: request.max_tokens - produced };
    const resume = resumeFrom && { resume: { arrivedAt: arrived, pausedAt: resumeFrom.pausedAt, preemptions: resumeFrom.pauses } };
    mux.acquire(request.model, { ...limit, preemptible: true, requestId, ...resume }).then(
      (lease) => {
        if (!resumeFrom) {
          waits.push(clock.now() - arrived);
          firstWaits.push({ model: request.model, arrivedAt: arrived, admittedAt: clock.now() });
          if (clock.now() - arrived > (promised.get(requestId) ?? Infinity)) overPromised++;
          promised.delete(requestId);
        }
        const grantedAt = clock.now();
        const admitted = resumeFrom?.admitted ?? grantedAt;
        const pausedMs = resumeFrom ? resumeFrom.pausedMs + grantedAt - resumeFrom.pausedAt : 0;
        const server = serverOf(request.model);
        // The first token comes out of the first part that produced one (prefill done).
        const firstTokenAt = (made: number) =>
          resumeFrom?.firstTokenAt ?? (made > 0 && job.begunAt !== undefined ? job.begunAt + server.prefillMs(job) : undefined);
        const job: SimJob = {
          tokens: request.tokens - produced,
          // A continuation reads the prompt (taken as short) and the text so far again: the sleep dropped the KV cache.
          ...(produced > 0 ? { rereadTokens: produced } : {}),
          finish: () => {
            lease.onRevoke(undefined);
            generations.push(clock.now() - grantedAt);
            lease.release({ completionTokens: request.tokens - produced });
            latencies.push(clock.now() - arrived);
            log.served({ model: request.model, tokens: request.tokens, arrivedAt: arrived, admittedAt: admitted, endAt: clock.now(), pausedMs });
            if (switched) {
              switchedLatencies.push(clock.now() - arrived);
              switchedFirstTokens.push((firstTokenAt(job.tokens) ?? clock.now()) - arrived);
            }
            lastEnd = clock.now();
            done++;
          },
        };
        // A switch that pauses at once (drain_before_switch false) can revoke the lease before this holder runs: then nothing is
        // submitted (the engine may already be asleep) and the request goes back to its queue untouched.
        let revoked = false;
        const onAbort = (reason: Error) => {
          revoked = true;
          if ((reason as { code?: unknown }).code === "LLMUX_ERR_REQUEST_PAUSED") {
            // Paused by a switch: what was produced is kept, the rest goes back to the head of the queue.
            const made = server.produced(job);
            server.cancel(job);
            paused++;
            arrive(request, requestId, {
              arrived,
              admitted,
              pausedMs,
              switched,
              produced: produced + made,
              pauses: (resumeFrom?.pauses ?? 0) + 1,
              pausedAt: clock.now(),
              firstTokenAt: firstTokenAt(made),
            });
            return;
          }
          // A revoked lease (a drain that timed out) is a request cut off: it stops and counts as failed, as real llmux answers it 503.
          server.cancel(job);
          failed++;
          preempted++;
          done++;
        };
        lease.onRevoke(onAbort);
        if (!revoked) server.submit(job);
      },
      (error: unknown) => {
        if ((error as { code?: unknown } | null)?.code === "LLMUX_ERR_OVERLOADED") refused++;
        else failed++;
        done++;
      },
    );
  };

  if (options.prewarm ?? true) await prewarm(mux, clock);
  offset = clock.now();
  // One pending arrival at a time keeps the timer heap small.
  let index = 0;
  const scheduleNext = () => {
    const request = trace[index];
    if (!request) return;
    clock.setTimeout(
      () => {
        arrive(request, String(index));
        index++;
        scheduleNext();
      },
      offset + request.t * 1000 - clock.now(),
    );
  };
  scheduleNext();
  // Time moves only when nothing else can happen; each step fires the next timer.
  for (let steps = 0; done < trace.length && steps < 50_000_000; steps++) {
    if (!(await clock.step())) break;
  }
  let closed = false;
  const closing = mux.destroy().finally(() => {
    closed = true;
  });
  // Stopping engines takes (virtual) time too.
  for (let steps = 0; !closed && steps < 100_000; steps++) if (!(await clock.step())) await clock.settle();
  await closing;

  const start = offset + (trace[0]?.t ?? 0) * 1000;
  const makespanSecs = Math.max(0, (lastEnd - start) / 1000);
  const boundMs = config.policy.max_wait_secs * 1000 + maxOf(generations) + tally.longestSwitchMs;
  // With K models waiting, each takes a turn first: a turn ends no sooner than its longest generation, then a switch.
  const models = new Set(trace.map((request) => request.model)).size;
  const roundBoundMs = config.policy.max_wait_secs * 1000 + models * (maxOf(generations) + tally.longestCostMs);
  const share = (spans: [number, number][]) => (makespanSecs > 0 ? unionMs(spans) / 1000 / makespanSecs : 0);
  return {
    policy: policy.name,
    requests: trace.length,
    served: latencies.length,
    failed,
    preempted,
    refused,
    waitP50: percentile(waits, 0.5) / 1000,
    waitP99: percentile(waits, 0.99) / 1000,
    waitMax: maxOf(waits) / 1000,
    latencyP50: percentile(latencies, 0.5) / 1000,
    latencyP99: percentile(latencies, 0.99) / 1000,
    switchedLatencyP99: percentile(switchedLatencies, 0.99) / 1000,
    switches: tally.switches,
    switchingShare: share(tally.switchSpans),
    drainShare: share(tally.drainSpans),
    drainP50: percentile(tally.drains, 0.5) / 1000,
    drainMax: maxOf(tally.drains) / 1000,
    longestSwitchSecs: tally.longestSwitchMs / 1000,
    longestSwitchCostSecs: tally.longestCostMs / 1000,
    makespanSecs,
    longestGenerationSecs: maxOf(generations) / 1000,
    boundSecs: boundMs / 1000,
    overBound: waits.filter((wait) => wait > boundMs).length,
    roundBoundSecs: roundBoundMs / 1000,
    overRoundBound: waits.filter((wait) => wait > roundBoundMs).length,
    overTurnBound: firstWaits.filter((wait) => turns.over(wait, config.policy.max_wait_secs * 1000, maxOf(generations), tally.longestCostMs, models)).length,
    switchedFirstTokenP99: percentile(switchedFirstTokens, 0.99) / 1000,
    overPromised,
    paused,
    idleActions: tally.idleActions,
    evictions: tally.evictions,
    slowest: log.slowest(),
    // Switching and serving: the time the GPU is busy with something.
    gpuBusySecs: unionMs([...busySpans, ...tally.switchSpans.filter(([begin]) => begin >= offset)]) / 1000,
  };
}

/** Drive admin calls while stepping virtual time until they settle. */
async function drive(clock: VirtualClock, operation: Promise<void>): Promise<void> {
  let settled = false;
  const done = operation.finally(() => {
    settled = true;
  });
  for (let steps = 0; !settled && steps < 100_000; steps++) if (!(await clock.step())) await clock.settle();
  await done;
}

async function prewarm(mux: Multiplexer, clock: VirtualClock): Promise<void> {
  for (const [name, model] of Object.entries(mux.config.models)) {
    await drive(clock, mux.wakeModel(name));
    await drive(clock, mux.sleepModel(name, model.sleep_level));
  }
}
