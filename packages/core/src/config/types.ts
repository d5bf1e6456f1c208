import type { z } from "zod";
import type { expectedCostsSchema, gpuSchema, modelSchema, policySchema, proxySchema } from "./schema.js";

export type PolicyConfig = z.output<typeof policySchema>;
export type GpuConfig = z.output<typeof gpuSchema>;
export type ProxyConfig = z.output<typeof proxySchema>;
export type ExpectedCostsConfig = z.output<typeof expectedCostsSchema>;
export type PolicyType = PolicyConfig["policy_type"];

/** One model after defaults: `sleep_level`, `gpus`, `max_concurrency`, the idle timeouts and `max_drain_secs` are always set. */
export type ModelConfig = Omit<
  z.output<typeof modelSchema>,
  "sleep_level" | "gpus" | "max_concurrency" | "idle_timeout_secs" | "asleep_timeout_secs" | "max_drain_secs" | "expected_costs"
> & {
  /** The model's `expected_costs` over the policy's, field by field (empty when neither sets any). */
  expected_costs: ExpectedCostsConfig;
  /** Resolved from the model or the policy; null: never pause this model's generations. */
  max_drain_secs: number | null;
  sleep_level: 1 | 2 | 3;
  gpus: number[];
  max_concurrency: number;
  idle_timeout_secs: number;
  asleep_timeout_secs: number;
  /** `auto` when `gpus` was not given: llmux chooses them at each start (`gpus` holds the last choice). */
  placement: "auto" | "fixed";
};

/** A validated config with every default applied. */
export interface LlmuxConfig {
  port: number;
  host: string;
  metrics_port: number;
  metrics_host: string;
  metrics_path: string;
  metrics_on_proxy_port: boolean;
  vllm_command: string;
  vllm_logging: boolean;
  models: Record<string, ModelConfig>;
  policy: PolicyConfig;
  gpu: GpuConfig;
  proxy: ProxyConfig;
}
