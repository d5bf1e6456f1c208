import { z } from "zod";

/** Model names: what clients put in `model`; safe in URLs, logs and metric labels. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

const port = z.int().min(1).max(65535);
/** The longest timer Node.js can set (2^31-1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_SECS = 2_147_483.647;
const secs = z.number().min(0).max(MAX_TIMER_SECS);
const positiveSecs = z.number().gt(0).max(MAX_TIMER_SECS);

const levelSecs = z.strictObject({ "1": secs.optional(), "2": secs.optional() });

/** What a model's transitions take before llmux has measured them: stand-ins for the built-in priors, in seconds. */
export const expectedCostsSchema = z.strictObject({
  cold_start_secs: positiveSecs.optional().describe("A start of `vllm serve` until it answers (built-in prior 60)."),
  stop_secs: secs.optional().describe("Stopping the process (built-in prior 2)."),
  sleep_secs: levelSecs.optional().describe('Putting it to sleep, per level: `{ "1": s, "2": s }` (built-in priors 10 and 0.5).'),
  wake_secs: levelSecs.optional().describe('Waking it, per level: `{ "1": s, "2": s }` (built-in priors 1 and 5).'),
});

const EXPECTED_COSTS_USE =
  "the planner, admission's wait estimate, cost_aware and overload refusal use them until the first measurement of each, which then replaces them; `llmux simulate --config` runs its engines at them";

export const modelSchema = z.strictObject({
  model_path: z.string().min(1).describe("HuggingFace id or local path passed to `vllm serve`."),
  port: port
    .optional()
    .describe(
      "TCP port of this model's vLLM server (bound to 127.0.0.1). Absent (the default and recommended mode): the server listens on a Unix socket in a directory only llmux's user can open.",
    ),
  aliases: z
    .array(z.string())
    .default([])
    .describe("Other names clients may use in `model` (e.g. `gpt-4o-mini`); each unique across every model's name and aliases."),
  sleep_level: z
    .union([z.literal(1), z.literal(2), z.literal(3)])
    .optional()
    .describe("1 = offload weights to CPU RAM, 2 = discard weights, 3 = stop the process. Default: policy.sleep_level."),
  gpu_memory_utilization: z.number().gt(0).max(1).default(0.9).describe("Fraction of each GPU's total memory vLLM may use."),
  tensor_parallel_size: z.int().min(1).default(1),
  dtype: z.string().min(1).default("auto"),
  extra_args: z.array(z.string()).default([]).describe("Extra command-line arguments for `vllm serve`."),
  env: z.record(z.string(), z.string()).default({}).describe("Extra environment variables for the vLLM process."),
  gpus: z
    .array(z.int().min(0))
    .min(1)
    .optional()
    .describe(
      "GPU indices (CUDA_VISIBLE_DEVICES). Default: chosen by llmux at each start among `gpu.count` GPUs (0 .. tensor_parallel_size-1 on one GPU's machine).",
    ),
  startup_timeout_secs: positiveSecs.default(600),
  max_concurrency: z
    .int()
    .min(1)
    .optional()
    .describe("Requests llmux lets into this model's vLLM at once; more wait in llmux's queue. Default: `--max-num-seqs` from extra_args, else 256."),
  max_queue: z.int().min(0).optional().describe("Requests that may wait for this model; past it a new one is answered 429 at once. Default: no cap."),
  decode_tokens_per_sec: z.number().gt(0).default(40).describe("Expected decode rate of one sequence, until llmux has measured it (admission plans with it)."),
  idle_timeout_secs: secs
    .optional()
    .describe("Sleep this model (at its sleep_level) after this long without a request; 0 = never. Default: policy.idle_timeout_secs."),
  asleep_timeout_secs: secs
    .optional()
    .describe("Stop this model after this long asleep, freeing the host RAM a sleeper holds; 0 = never. Default: policy.asleep_timeout_secs."),
  preload: z
    .boolean()
    .default(false)
    .describe("Start this model when llmux starts (then warm it up and leave it awake or asleep), so its first request costs a wake."),
  warmup: z
    .boolean()
    .default(false)
    .describe("Send a 1-token request after every cold start and wake, before the first client request is admitted (reported as switch phase `warmup`)."),
  pinned: z.boolean().default(false).describe("Never evict this model once awake; every pinned model must fit at once."),
  priority: z
    .int()
    .min(-1000)
    .max(1000)
    .default(0)
    .describe("Higher wins: evictions take lower priorities first; among waiting models the policy prefers higher priorities within its fairness bound."),
  expected_costs: expectedCostsSchema.optional().describe(`Expected transition costs of this model, over policy.expected_costs: ${EXPECTED_COSTS_USE}.`),
  max_drain_secs: secs
    .optional()
    .describe(
      "Longest a switch waits for this model's generations before it pauses the resumable ones (resumed as continuations when the model is awake again). Default: policy.max_drain_secs.",
    ),
});

export const policySchema = z.strictObject({
  policy_type: z.enum(["fifo", "cost_aware", "time_slice"]).default("fifo"),
  request_timeout_secs: positiveSecs.default(60).describe("Longest a request waits for its model."),
  drain_before_switch: z
    .boolean()
    .default(true)
    .describe("Wait for in-flight requests before sleeping a model; false pauses the resumable ones (see max_drain_secs) and aborts the others."),
  sleep_level: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(3),
  min_active_secs: secs.default(5).describe("A model stays awake at least this long before it may be evicted (anti-thrash)."),
  max_wait_secs: positiveSecs.default(30).describe("cost_aware and time_slice: how long a request may wait before its model is due (see the policy's bound)."),
  max_queue: z.int().min(0).optional().describe("Requests that may wait in all; past it a new one is answered 429 at once. Default: no cap."),
  overload_refusal: z
    .enum(["off", "timeout", "bound"])
    .default("off")
    .describe(
      "Answer a new request 429 at once when its planned wait exceeds request_timeout_secs (timeout) or the policy's bound (bound; time_slice and cost_aware: max_wait_secs + K × (longest generation + longest switch) over the K models with work, else request_timeout_secs); off: never.",
    ),
  idle_timeout_secs: secs.default(0).describe("Sleep an awake model (at its sleep_level) after this long without a request; 0 = never."),
  asleep_timeout_secs: secs.default(0).describe("Stop a sleeping model after this long asleep; 0 = never."),
  max_drain_secs: secs
    .optional()
    .describe(
      "Longest a switch waits for generations before it pauses the resumable ones (chat and completions; see the README). Default: off, switches wait for every generation.",
    ),
  expected_costs: expectedCostsSchema
    .optional()
    .describe(`Expected transition costs of every model (a model's own expected_costs wins, field by field): ${EXPECTED_COSTS_USE}.`),
  max_preemptions: z.int().min(0).default(3).describe("How often one request may be paused; after that it runs to completion."),
  drain_timeout_secs: positiveSecs.default(30).describe("Longest a drain waits before in-flight requests are preempted."),
  sleep_timeout_secs: positiveSecs.default(120).describe("A sleep taking longer escalates to a stop (level 3)."),
  wake_timeout_secs: positiveSecs.default(300),
  startup_backoff_secs: secs.default(10).describe("After a failed start, requests fail fast this long."),
  stop_grace_secs: positiveSecs.default(10).describe("SIGTERM to SIGKILL delay when stopping a vLLM process."),
});

export const gpuSchema = z.strictObject({
  memory_gib: z.number().gt(0).default(80).describe("Total memory of each GPU."),
  sleep_reserve_gib: z.number().min(0).default(1).describe("Memory a sleeping vLLM process keeps per GPU (CUDA context)."),
  count: z
    .int()
    .min(1)
    .optional()
    .describe(
      "GPUs llmux places models on (0 .. count-1): a model without `gpus` gets the ones that need the fewest evictions, then the least used, at each start. Default: enough for the largest `gpus` index and `tensor_parallel_size`.",
    ),
});

/** uvicorn (vLLM's HTTP server) closes idle connections after 5 s; a reused one must be younger. */
const UPSTREAM_KEEPALIVE_MAX_SECS = 4.5;

export const proxySchema = z.strictObject({
  max_body_bytes: z.int().min(1).default(33554432),
  keepalive_interval_secs: positiveSecs.default(5),
  headers_timeout_secs: positiveSecs.default(30),
  idle_timeout_secs: positiveSecs.default(300),
  api_keys: z.array(z.string().min(1)).default([]),
  admin_keys: z.array(z.string().min(1)).default([]),
  shutdown_grace_secs: secs.default(30),
  model_override_header: z
    .boolean()
    .default(true)
    .describe("Route by a `model-override` request header (as the onwards gateway sets it) instead of the body's `model`."),
  log_lines: z.int().min(0).max(100000).default(1000).describe("Lines kept for GET /llmux/logs: llmux's own, and each model's vLLM output (0 keeps none)."),
  upstream_keepalive_secs: positiveSecs
    .max(UPSTREAM_KEEPALIVE_MAX_SECS)
    .default(4)
    .describe("How long an idle connection to a vLLM server is kept for reuse; under uvicorn's 5 s so vLLM never closes one as llmux sends on it."),
  max_buffered_bytes: z
    .int()
    .min(1)
    .default(536870912)
    .describe("Request bodies held in memory across all requests (read and waiting for their model); a request beyond it gets 503 at once."),
  max_connections: z
    .int()
    .min(1)
    .optional()
    .describe(
      "Client connections served (default: half of the open-files limit left after 128 for llmux itself, between 64 and 16384); beyond it (plus a reserve for /health, /status and admin routes) new requests get 503 and the connection is closed.",
    ),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional().describe("Editor hint; ignored."),
  port: z.int().min(0).max(65535).default(3000).describe("Proxy port; 0 picks a free port (the embedder reads it from the bound URL)."),
  host: z.string().min(1).default("0.0.0.0"),
  metrics_port: z.int().min(0).max(65535).default(9090).describe("0 disables the metrics listener."),
  metrics_host: z.string().min(1).default("0.0.0.0"),
  metrics_path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/, { message: "expected an absolute path such as /metrics" })
    .default("/metrics")
    .describe("Path of the Prometheus endpoint, on metrics_port and (with metrics_on_proxy_port) on port."),
  metrics_on_proxy_port: z
    .boolean()
    .default(false)
    .describe(
      "Also serve metrics_path on port, for scrapers that read the inference port (the Gateway API Inference Extension's endpoint picker does by default).",
    ),
  vllm_command: z.string().min(1).default("vllm"),
  vllm_logging: z.boolean().default(false),
  models: z.record(z.string(), modelSchema).refine((models) => Object.keys(models).length > 0, { message: "expected at least one model, found none" }),
  policy: policySchema.prefault({}),
  gpu: gpuSchema.prefault({}),
  proxy: proxySchema.prefault({}),
});

/** Known keys per object kind, for did-you-mean hints. */
export const KNOWN_KEYS = {
  root: Object.keys(configSchema.shape),
  model: Object.keys(modelSchema.shape),
  policy: Object.keys(policySchema.shape),
  gpu: Object.keys(gpuSchema.shape),
  proxy: Object.keys(proxySchema.shape),
  expectedCosts: Object.keys(expectedCostsSchema.shape),
  level: ["1", "2"],
} as const;
