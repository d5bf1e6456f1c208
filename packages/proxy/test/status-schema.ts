import { z } from "zod";
import type { StatusView } from "../src/status-view.js";

/**
 * `GET /llmux/status` as a strict schema: every object refuses unknown keys,
 * so a field added to the view without the schema (or the other way round)
 * fails the tests that parse real responses with it. The committed
 * `status.schema.json` is generated from it.
 */
const level = z.union([z.literal(1), z.literal(2)]);
const epochMs = z.number().int().describe("wall-clock epoch ms");
const ms = z.number().nonnegative();
const nullableMs = ms.nullable();

const modelStatus = z.strictObject({
  name: z.string(),
  aliases: z.array(z.string()),
  state: z.enum(["stopped", "starting", "awake", "draining", "sleeping", "asleep", "waking", "stopping"]),
  sleep_level: level.nullable().describe("the level it sleeps at now; null when up or stopped"),
  configured_sleep_level: z.union([level, z.literal(3)]),
  queue_depth: z.number().int().nonnegative(),
  in_flight: z.number().int().nonnegative(),
  awake_at: epochMs.nullable(),
  last_error: z.string().nullable(),
  restarts: z.number().int().nonnegative(),
  backoff_secs: z.number().nonnegative(),
  gpus: z.array(z.number().int().nonnegative()),
  gpu_memory_utilization: z.number().positive().max(1),
  max_concurrency: z.number().int().positive(),
  drain: z.strictObject({ avg_ms: z.number().nonnegative(), p90_ms: z.number().nonnegative(), samples: z.number().int().positive() }).nullable(),
  service: z
    .strictObject({
      ms_per_token: z.number().nonnegative().nullable(),
      lease_p50_ms: nullableMs,
      output_tokens_p50: z.number().int().nonnegative().nullable(),
      output_tokens_p90: z.number().int().nonnegative().nullable(),
      leases: z.number().int().nonnegative(),
      reported: z.number().int().nonnegative(),
    })
    .describe("measured service: decode time per token, lease times and reported output lengths; null until 20 samples"),
  costs: z.strictObject({
    sleep_ms: z.strictObject({ "1": nullableMs, "2": nullableMs }),
    wake_ms: z.strictObject({ "1": nullableMs, "2": nullableMs }),
    cold_start_ms: nullableMs,
    stop_ms: nullableMs,
    samples: z.number().int().nonnegative(),
    priors: z
      .strictObject({
        sleep_ms: z.strictObject({ "1": ms, "2": ms }),
        wake_ms: z.strictObject({ "1": ms, "2": ms }),
        cold_start_ms: ms,
        stop_ms: ms,
      })
      .describe("what the planner assumes where a cost is not measured yet: the model's expected_costs, else the built-in priors"),
  }),
  placement: z.enum(["auto", "fixed"]),
  removing: z.boolean(),
  settings_pending: z.boolean(),
  paused: z.number().int().nonnegative().describe("requests a switch paused, waiting to go on"),
  paused_requests: z.array(
    z.strictObject({
      request_id: z.string(),
      completion_tokens: z.number().int().nonnegative().describe("tokens produced before the pause, over every part"),
      paused_at: epochMs,
      preemptions: z.number().int().positive().describe("pauses so far, this one included"),
    }),
  ),
});

const switchStatus = z.strictObject({
  id: z.number().int().nonnegative(),
  trigger: z
    .enum(["request", "admin", "idle", "preload", "reload"])
    .describe("what started it: queued requests, an operator, an idle or asleep timeout, the start-up preload, a reload"),
  from: z.array(z.string()).describe("models put to sleep or stopped"),
  to: z.string().nullable().describe("the model brought up; null when the switch only put models away"),
  started_at: epochMs,
  duration_ms: z.number().int().nonnegative(),
  result: z.enum(["ok", "failed", "aborted"]),
  error: z.string().nullable(),
  phases: z.array(
    z.strictObject({
      phase: z.enum(["drain", "sleep", "stop", "wake", "start", "warmup"]),
      model: z.string(),
      level: z.union([level, z.literal(3)]).nullable(),
      duration_ms: z.number().int().nonnegative(),
      ok: z.boolean(),
    }),
  ),
  drains: z.array(z.strictObject({ model: z.string(), avg_ms: z.number().nonnegative(), p90_ms: z.number().nonnegative() })),
});

const statusViewSchema = z.strictObject({
  generated_at: epochMs,
  policy: z.string(),
  closing: z.boolean().describe("the multiplexer is closing"),
  admin_controls: z.boolean(),
  models: z.array(modelStatus),
  gpus: z.array(z.strictObject({ index: z.number().int().nonnegative(), used: z.number().min(0), models: z.array(z.string()) })),
  switches: z.array(switchStatus).describe("the last switches, newest first"),
  preload: z.strictObject({
    state: z.enum(["idle", "running", "done"]),
    total: z.number().int().nonnegative(),
    done: z.number().int().nonnegative(),
    models: z.array(z.strictObject({ name: z.string(), state: z.enum(["pending", "loading", "loaded", "failed"]), error: z.string().nullable() })),
  }),
});

export const statusResponseSchema = statusViewSchema.extend({
  version: z.string(),
  uptime_secs: z.number().int().nonnegative(),
  proxy: z.strictObject({
    in_flight: z.number().int().nonnegative().describe("requests the proxy answers now, not counting this one"),
    closing: z.boolean(),
  }),
});

/** Parses a `/llmux/status` body; typed as the code's view, so the schema must cover every field of it. */
export function parseStatus(body: unknown): StatusView & z.output<typeof statusResponseSchema> {
  return statusResponseSchema.parse(body);
}

/** Parses one `status` event of `GET /llmux/events` (the view without the proxy's own fields). */
export function parseStatusEvent(data: string): StatusView & z.output<typeof statusViewSchema> {
  return statusViewSchema.parse(JSON.parse(data));
}
