export {
  SimEngine,
  DEFAULT_SIM_COSTS,
  mergeCosts,
  costsFromExpected,
  type SimEngineCall,
  type SimEngineCosts,
  type SimEngineCostsInput,
  type SimEngineState,
  type SimFault,
} from "./sim-engine.js";
export { parseTrace, formatTrace, type TraceRequest } from "./trace.js";
export { alternatingTrace, burstyTrace, seededRandom } from "./generate-trace.js";
export { hotSetTrace, type HotSetTraceOptions } from "./hot-set-trace.js";
export { familyConfig, simulateTrace, traceConfig, withoutAdmissionLimit, type SimulateTraceOptions } from "./simulate-trace.js";
export { DEFAULT_SIM_SERVICE, type SimServiceOptions } from "./sim-server.js";
export { percentile, type PolicyResult } from "./sim-results.js";
export { formatResultsMarkdown, formatResultsTable } from "./format-table.js";
export {
  familyCapacity,
  familyTrace,
  FAMILY_MAX_WAIT_SECS,
  HELD_OUT_SEEDS,
  LIGHT_LOAD,
  OVERLOAD,
  SEEN_HELD_OUT_SEEDS,
  TRACE_SHAPES,
  TUNING_SEEDS,
  type FamilyTrace,
  type FamilyShape,
} from "./trace-family.js";
