export { VERSION } from "./version.js";
export { startLlmux, type RunningLlmux, type StartLlmuxOptions } from "./start-llmux.js";
export { createVllmEngineFactory, type EngineFactory, type VllmEngineFactoryOptions } from "./engine-factory.js";
export { createLogger, type LogFormat, type LogLevel, type LoggerOptions } from "./logger.js";
export { loadConfigFile, type ConfigOverrides } from "./config-file.js";
export { defaultStateFilePath } from "./state-file.js";
export { main } from "./program.js";
export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from "./exit-codes.js";
export { ShuttingDownError } from "@llmux/types";
export { CliUsageError, ConfigFileError, StartupError, StateFileError, CLI_ERROR_CODES } from "./errors.js";
// Embedders build the config they pass to startLlmux; the CLI package alone is enough for that.
export {
  ConfigError,
  checkConfig,
  parseConfig,
  type GpuConfig,
  type LlmuxConfig,
  type ModelConfig,
  type PolicyConfig,
  type PolicyType,
  type ProxyConfig,
} from "@llmux/core";
