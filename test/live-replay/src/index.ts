export { type ReplayOutcome, replayRequests } from "./client.js";
export { BATCH, SCALE, SEED, TOKENS_PER_SEC, replayExpectedCosts, replaySimArgs, replayTrace } from "./trace.js";
