export { parseConfig } from "./parse-config.js";
export { checkConfig } from "./check-config.js";
export { configJsonSchema } from "./json-schema.js";
export { MODEL_NAME_PATTERN, configSchema } from "./schema.js";
export type { GpuConfig, LlmuxConfig, ModelConfig, PolicyConfig, PolicyType, ProxyConfig } from "./types.js";
