import { setTimeout as sleep } from "node:timers/promises";
import { expect, test } from "vitest";
import { request } from "undici";
import { DEFAULT_SIM_COSTS, DEFAULT_SIM_SERVICE, familyTrace } from "@llmux/core";
import { levelTwoWakeKnobs } from "@llmux/vllm-sim/testing";
import { useRun } from "./harness/llmux-run.js";

// A short trace of the family (seed 2005, held out when bench/README took its figures) replayed through the built binary
// against vllm-sim: outputs of 500–4000 tokens (ignore_eos, so each is
// exactly its length), and every time in the run, the simulator's costs,
// the decode rate and the arrivals, scaled down by SCALE so it takes seconds.
const SCALE = 10;
const MAX_WAIT_SECS = 60 / SCALE;
const TOKENS_PER_SEC = DEFAULT_SIM_SERVICE.tokensPerSec * SCALE;

const { run, agent } = useRun(256);

test("time_slice keeps its bound and loses nothing on a held-out trace (live, vllm-sim)", async () => {
  const family = familyTrace("two-equal-saturated", 2005, { durationSecs: 200, load: 0.1, outputMedian: 1500, outputSigma: 0.6 });
  const trace = family.requests.map((r) => ({ ...r, tokens: Math.min(4000, Math.max(500, r.tokens)) }));
  const ms = (value: number) => String(Math.max(1, Math.round(value / SCALE)));
  const simArgs = [
    "--sim-startup-ms",
    ms(DEFAULT_SIM_COSTS.startMs),
    "--sim-sleep1-ms",
    ms(DEFAULT_SIM_COSTS.sleepMs[1]),
    "--sim-wake1-ms",
    ms(DEFAULT_SIM_COSTS.wakeMs[1]),
    "--sim-sleep2-ms",
    ms(DEFAULT_SIM_COSTS.sleepMs[2]),
    // A level-2 wake is three calls to vllm-sim; the simulator's cost is the whole of them.
    ...Object.entries(levelTwoWakeKnobs(Number(ms(DEFAULT_SIM_COSTS.wakeMs[2])))).flatMap(([knob, value]) => [`--sim-${knob}`, String(value)]),
    "--sim-ttft-ms",
    ms(DEFAULT_SIM_SERVICE.ttftMs),
    "--sim-tokens-per-sec",
    String(TOKENS_PER_SEC),
  ];
  await run.start({
    // Admission plans with the decode rate (it would otherwise start from 40 tokens/s).
    models: Object.entries(family.sleepLevels).map(([name, level]) => ({
      name,
      sleepLevel: level,
      simArgs,
      config: { decode_tokens_per_sec: TOKENS_PER_SEC },
    })),
    policy: { policy_type: "time_slice", max_wait_secs: MAX_WAIT_SECS, request_timeout_secs: 120, drain_timeout_secs: 60 },
  });

  const startedAt = performance.now();
  const outcomes = await Promise.all(
    trace.map(async (entry) => {
      await sleep(Math.max(0, startedAt + (entry.t * 1000) / SCALE - performance.now()));
      const sent = performance.now();
      const response = await request(`${run.url}/v1/chat/completions`, {
        method: "POST",
        dispatcher: agent,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: entry.model,
          messages: [{ role: "user", content: "x" }],
          max_tokens: entry.tokens,
          ignore_eos: true,
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
      // The wait is until the first event of the answer (llmux may send `: waiting` comments before it).
      let firstDataAt: number | undefined;
      let text = "";
      for await (const chunk of response.body) {
        text += String(chunk);
        if (firstDataAt === undefined && text.includes("data: ")) firstDataAt = performance.now();
      }
      const usage = /"completion_tokens":(\d+)/.exec(text.slice(text.lastIndexOf('"usage"')));
      const end = performance.now();
      return {
        status: response.statusCode,
        tokens: usage ? Number(usage[1]) : undefined,
        waitMs: (firstDataAt ?? end) - sent,
        generationMs: end - (firstDataAt ?? end),
        done: text.includes("data: [DONE]"),
      };
    }),
  );

  // Accounting: every request answered, each once by its engine, none cut off.
  expect(outcomes.filter((o) => o.status !== 200 || !o.done)).toEqual([]);
  expect(outcomes.map((o) => o.tokens)).toEqual(trace.map((entry) => entry.tokens));
  const events = run.workspace.events();
  expect(events.filter((e) => e.event === "request_start")).toHaveLength(trace.length);
  const ends = events.filter((e) => e.event === "request_end");
  expect(ends).toHaveLength(trace.length);
  expect(ends.filter((e) => e.outcome !== "completed")).toEqual([]);
  expect(events.filter((e) => e.event === "crash")).toEqual([]);

  // The bound: max_wait_secs + the longest generation (as served: vLLM's first request after a wake is slower) + one switch (sleep, then wake or a first cold start), plus 1 s for HTTP and processes.
  const longestGenerationMs = Math.max(...outcomes.map((o) => o.generationMs));
  const switchMs = (Math.max(DEFAULT_SIM_COSTS.sleepMs[1], DEFAULT_SIM_COSTS.sleepMs[2]) + DEFAULT_SIM_COSTS.startMs) / SCALE;
  const boundMs = MAX_WAIT_SECS * 1000 + longestGenerationMs + switchMs + 1_000;
  const worst = Math.max(...outcomes.map((o) => o.waitMs));
  if (process.env.LLMUX_PRINT_TABLES === "1")
    console.log(
      `${trace.length} requests, longest wait ${Math.round(worst)} ms, bound ${Math.round(boundMs)} ms, longest generation ${Math.round(longestGenerationMs)} ms`,
    );
  expect(worst, `longest wait ${Math.round(worst)} ms, bound ${Math.round(boundMs)} ms, ${trace.length} requests`).toBeLessThanOrEqual(boundMs);
}, 180_000);
