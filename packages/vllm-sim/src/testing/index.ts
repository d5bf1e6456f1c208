export { freePort } from "./free-port.js";
export { simBinPath, simSmiBinPath } from "./bin-paths.js";
