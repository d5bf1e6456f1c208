/**
 * Every error code llmux raises, once, with the package that owns it (whose
 * README documents it). A test checks that each package's catalogue defines
 * exactly its codes here and that no code is defined twice.
 */
export const ERROR_CODES = {
  // @llmux/types: shared by every layer
  LLMUX_ERR_ABORTED: "types",
  LLMUX_ERR_SHUTTING_DOWN: "types",
  // @llmux/vllm-client
  LLMUX_ERR_PORT_IN_USE: "vllm-client",
  LLMUX_ERR_FOREIGN_LISTENER: "vllm-client",
  LLMUX_ERR_UNSAFE_SOCKET: "vllm-client",
  LLMUX_ERR_START_FAILED: "vllm-client",
  LLMUX_ERR_START_TIMEOUT: "vllm-client",
  LLMUX_ERR_SLEEP_FAILED: "vllm-client",
  LLMUX_ERR_SLEEP_TIMEOUT: "vllm-client",
  LLMUX_ERR_WAKE_FAILED: "vllm-client",
  LLMUX_ERR_WAKE_TIMEOUT: "vllm-client",
  LLMUX_ERR_ENGINE_EXITED: "vllm-client",
  LLMUX_ERR_ENGINE_STOPPED: "vllm-client",
  LLMUX_ERR_ENGINE_STATE: "vllm-client",
  LLMUX_ERR_CONTROL_HTTP: "vllm-client",
  LLMUX_ERR_CONTROL_TIMEOUT: "vllm-client",
  LLMUX_ERR_CONTROL_UNREACHABLE: "vllm-client",
  LLMUX_ERR_CONTROL_RESPONSE: "vllm-client",
  // @llmux/core
  LLMUX_ERR_CONFIG: "core",
  LLMUX_ERR_UNKNOWN_MODEL: "core",
  LLMUX_ERR_QUEUE_TIMEOUT: "core",
  LLMUX_ERR_MODEL_START_FAILED: "core",
  LLMUX_ERR_MODEL_BACKOFF: "core",
  LLMUX_ERR_ENGINE_CRASHED: "core",
  LLMUX_ERR_PREEMPTED: "core",
  LLMUX_ERR_SWITCH_FAILED: "core",
  LLMUX_ERR_DOES_NOT_FIT: "core",
  LLMUX_ERR_OVERLOADED: "core",
  LLMUX_ERR_REQUEST_PAUSED: "core",
  // @llmux/proxy
  LLMUX_ERR_ROUTE_NOT_FOUND: "proxy",
  LLMUX_ERR_METHOD_NOT_ALLOWED: "proxy",
  LLMUX_ERR_BAD_PATH: "proxy",
  LLMUX_ERR_BODY_TOO_LARGE: "proxy",
  LLMUX_ERR_BODY_TIMEOUT: "proxy",
  LLMUX_ERR_UNSUPPORTED_MEDIA_TYPE: "proxy",
  LLMUX_ERR_INVALID_BODY: "proxy",
  LLMUX_ERR_MISSING_MODEL: "proxy",
  LLMUX_ERR_MODEL_NOT_FOUND: "proxy",
  LLMUX_ERR_UNAUTHORIZED: "proxy",
  LLMUX_ERR_UPSTREAM_UNAVAILABLE: "proxy",
  LLMUX_ERR_UPSTREAM_FAILED: "proxy",
  LLMUX_ERR_UPSTREAM_TIMEOUT: "proxy",
  LLMUX_ERR_PROXY_STATE: "proxy",
  LLMUX_ERR_PROXY_INTERNAL: "proxy",
  LLMUX_ERR_CAPACITY: "proxy",
  LLMUX_ERR_CONFIG_RELOAD: "proxy",
  // @llmux/validator
  LLMUX_ERR_NVIDIA_SMI_MISSING: "validator",
  LLMUX_ERR_NVIDIA_SMI_FAILED: "validator",
  LLMUX_ERR_VALIDATE_OPTIONS: "validator",
  LLMUX_ERR_VALIDATE_PROBE: "validator",
  // @llmux/cli
  LLMUX_ERR_CLI_USAGE: "cli",
  LLMUX_ERR_CONFIG_FILE: "cli",
  LLMUX_ERR_STATE_FILE: "cli",
  LLMUX_ERR_STARTUP: "cli",
  // @llmux/vllm-sim (stands alone; its errors carry the same marker)
  LLMUX_ERR_SIM_CONFIG: "vllm-sim",
  LLMUX_ERR_SIM_UNKNOWN_FAULT: "vllm-sim",
  LLMUX_ERR_SIM_EXITED: "vllm-sim",
  LLMUX_ERR_SIM_READY_TIMEOUT: "vllm-sim",
  LLMUX_ERR_SIM_CONTROL: "vllm-sim",
} as const;

export type LlmuxErrorCode = keyof typeof ERROR_CODES;
