export { SimEngine, DEFAULT_SIM_COSTS, type SimEngineCall, type SimEngineCosts, type SimEngineState, type SimFault } from "./sim-engine.js";
export { parseTrace, formatTrace, type TraceRequest } from "./trace.js";
export { alternatingTrace, burstyTrace, seededRandom } from "./generate-trace.js";
export { hotSetTrace, type HotSetTraceOptions } from "./hot-set-trace.js";
export {
  DEFAULT_SIM_SERVICE,
  percentile,
  simulateTrace,
  traceConfig,
  type PolicyResult,
  type SimServiceOptions,
  type SimulateTraceOptions,
} from "./simulate-trace.js";
export { formatResultsMarkdown, formatResultsTable } from "./format-table.js";
