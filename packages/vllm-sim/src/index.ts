export { VERSION } from "./version.js";
export {
  SimError,
  SimConfigError,
  SimUnknownFaultError,
  SimExitedError,
  SimReadyTimeoutError,
  SimControlError,
} from "./errors.js";
export { profiles } from "./serve/knobs.js";
// What a program that runs the simulator as its engine needs (`llmux demo`); test helpers stay in `./testing`.
export { simBinPath, simSmiBinPath } from "./executables.js";
export { freePort } from "./testing/free-port.js";
