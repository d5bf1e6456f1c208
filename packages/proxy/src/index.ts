export { VERSION } from "./version.js";
export { createProxy, LlmuxProxy } from "./proxy.js";
export type { CreateProxyOptions, ListenResult, ProxyLogger } from "./proxy.js";
export type { RequestRecord } from "./request-record.js";
export type { ProxyConfigView, ProxyLease, ProxyMux, ProxyModelView } from "./mux.js";
export { FORWARDED_ROUTES } from "./routes.js";
export { LLMUX_LOG, LogBook, createLogBook } from "./log-book.js";
export type { LogBookOptions, LogListener, LogSource } from "./log-book.js";
export type { StatusView, ModelStatusView, SwitchStatusView } from "./status-view.js";
export { drainsView, phasesView } from "./status-view.js";
export type { BodyKind } from "./routes.js";
export { ProxyMetrics } from "./metrics.js";
export {
  ProxyError,
  RouteNotFoundError,
  MethodNotAllowedError,
  BadPathError,
  BodyTooLargeError,
  BodyTimeoutError,
  UnsupportedMediaTypeError,
  InvalidBodyError,
  ConfigReloadError,
  MissingModelError,
  ModelNotFoundError,
  UnauthorizedError,
  UpstreamUnavailableError,
  UpstreamFailedError,
  UpstreamTimeoutError,
  ShuttingDownError,
  ProxyStateError,
  InternalProxyError,
  PROXY_ERROR_CODES,
} from "./errors.js";
