import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimContext } from "./context.js";
import { randomId, sendJson } from "./http-util.js";

export function versionRoute(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, { version: ctx.knobs.version });
}

/** vLLM's model card, one per served name. */
export function modelsRoute(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, {
    object: "list",
    data: ctx.args.servedModelNames.map((name) => ({
      id: name,
      object: "model",
      created: ctx.createdAt,
      owned_by: "vllm",
      root: ctx.args.modelPath,
      parent: null,
      max_model_len: ctx.args.maxModelLen,
      permission: [
        {
          id: randomId("modelperm"),
          object: "model_permission",
          created: ctx.createdAt,
          allow_create_engine: false,
          allow_sampling: true,
          allow_logprobs: true,
          allow_search_indices: false,
          allow_view: true,
          allow_fine_tuning: false,
          organization: "*",
          group: null,
          is_blocking: false,
        },
      ],
    })),
  });
}

/** Prometheus text with the gauges llmux and its validator read. */
export function metricsRoute(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  const name = ctx.args.servedModelNames[0] as string;
  const labels = `engine="0",model_name="${name.replaceAll('"', '\\"')}"`;
  const engine = ctx.engine;
  const kvUsage = engine.isSleeping ? 0 : Math.min(1, engine.running.size / 64);
  const lines = [
    "# HELP vllm:num_requests_running Number of requests in model execution batches.",
    "# TYPE vllm:num_requests_running gauge",
    `vllm:num_requests_running{${labels}} ${engine.running.size}`,
    "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.",
    "# TYPE vllm:num_requests_waiting gauge",
    `vllm:num_requests_waiting{${labels}} ${engine.gate.waiting}`,
    "# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.",
    "# TYPE vllm:kv_cache_usage_perc gauge",
    `vllm:kv_cache_usage_perc{${labels}} ${kvUsage}`,
    "# HELP vllm:engine_sleep_state Engine sleep state; awake = 0 means engine is sleeping; awake = 1 means engine is awake; weights_offloaded = 1 means sleep level 1; discard_all = 1 means sleep level 2.",
    "# TYPE vllm:engine_sleep_state gauge",
    ...(["awake", "weights_offloaded", "discard_all"] as const).map(
      (state) => `vllm:engine_sleep_state{${labels},sleep_state="${state}"} ${engine.sleepState === state ? 1 : 0}`,
    ),
    "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.",
    "# TYPE vllm:prompt_tokens_total counter",
    `vllm:prompt_tokens_total{${labels}} ${engine.promptTokens}`,
    "# HELP vllm:generation_tokens_total Number of generation tokens processed.",
    "# TYPE vllm:generation_tokens_total counter",
    `vllm:generation_tokens_total{${labels}} ${engine.generationTokens}`,
    "# HELP vllm:request_success_total Count of successfully processed requests.",
    "# TYPE vllm:request_success_total counter",
    `vllm:request_success_total{${labels}} ${engine.counts.completed}`,
    "# HELP vllm_sim:gpu_memory_used_mib Simulated GPU memory this server holds per GPU.",
    "# TYPE vllm_sim:gpu_memory_used_mib gauge",
    `vllm_sim:gpu_memory_used_mib{${labels}} ${ctx.memoryMib()}`,
  ];
  const text = `${lines.join("\n")}\n`;
  res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
