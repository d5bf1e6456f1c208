export { freePort } from "./free-port.js";
export { simBinPath, simSmiBinPath } from "./bin-paths.js";
export { spawnSim, type SimHandle, type SimStats, type SpawnSimOptions, type SimTimings } from "./spawn-sim.js";
export { readSimEvents, simEventPids, type SimEvent } from "./sim-events.js";
export { levelTwoWakeKnobs } from "./level-two-wake.js";
