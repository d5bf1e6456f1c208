import { expect, test } from "vitest";
import { DEFAULT_SIM_COSTS } from "@llmux/core";
import { SCALE, TOKENS_PER_SEC, replayRequests, replaySimArgs, replayTrace } from "@llmux/live-replay";
import { useRun } from "./harness/llmux-run.js";

// The short held-out trace of the bench's live replays (seed 2005, held out when bench/README took its figures) replayed through the built binary
// against vllm-sim: outputs of 500–4000 tokens (ignore_eos, so each is
// exactly its length), and every time in the run, the simulator's costs,
// the decode rate and the arrivals, scaled down by SCALE so it takes seconds.
const MAX_WAIT_SECS = 60 / SCALE;

const { run, agent } = useRun(256);

test("time_slice keeps its bound and loses nothing on a held-out trace (live, vllm-sim)", async () => {
  // 0.8 of one engine of BATCH sequences: the family's load 0.1 over 200 s, 8 requests.
  const family = replayTrace(0.8, 200);
  const trace = family.requests;
  // Without the bench's measured boot taken off the cold start: vllm-sim's load time is the simulator's whole cold start.
  const simArgs = replaySimArgs();
  await run.start({
    // Admission plans with the decode rate (it would otherwise start from 40 tokens/s).
    models: Object.entries(family.sleepLevels).map(([name, level]) => ({
      name,
      sleepLevel: level,
      simArgs,
      config: { decode_tokens_per_sec: TOKENS_PER_SEC * SCALE },
    })),
    policy: { policy_type: "time_slice", max_wait_secs: MAX_WAIT_SECS, request_timeout_secs: 120, drain_timeout_secs: 60 },
  });

  const { outcomes: replayed } = await replayRequests(run.url, agent, trace, { includeUsage: true });
  const outcomes = replayed.map((o) => ({
    status: o.status,
    tokens: o.servedTokens,
    waitMs: (o.firstMs ?? o.endMs) - o.sentMs,
    generationMs: o.endMs - (o.firstMs ?? o.endMs),
    done: o.done,
  }));

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
