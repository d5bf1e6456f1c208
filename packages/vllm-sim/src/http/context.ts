import type { SimEngine } from "../engine/sim-engine.js";
import type { EventLog } from "../serve/event-log.js";
import type { ServeArgs } from "../serve/args.js";
import type { SimKnobs } from "../serve/knobs.js";
import type { SimLogger } from "../serve/logger.js";

/** Everything a route handler needs. */
export interface SimContext {
  args: ServeArgs;
  knobs: SimKnobs;
  engine: SimEngine;
  logger: SimLogger;
  events: EventLog;
  /** `VLLM_SERVER_DEV_MODE` was a non-zero integer. */
  devMode: boolean;
  /** Unix seconds, for `created` fields. */
  createdAt: number;
  /** The MiB this process holds per GPU right now (for metrics). */
  memoryMib: () => number;
}
