export { VERSION } from "./version.js";
export {
  SimError,
  SimConfigError,
  SimUnknownFaultError,
  SimExitedError,
  SimReadyTimeoutError,
  SimControlError,
  simErrorClasses,
} from "./errors.js";
export { faultNames, type FaultName } from "./engine/faults.js";
export { knobNames, knobEnvName, profiles, resolveKnobs, type SimKnobs } from "./serve/knobs.js";
export { parseServeArgs, type ServeArgs } from "./serve/args.js";
export { parseDevMode } from "./serve/dev-mode.js";
export { runSmi, type SmiSettings } from "./gpu/smi-query.js";
export { generateAnswer, type AnswerInput } from "./text/answer.js";
// What a program that runs the simulator as its engine needs (`llmux demo`); test helpers stay in `./testing`.
export { simBinPath, simSmiBinPath } from "./executables.js";
export { freePort } from "./testing/free-port.js";
