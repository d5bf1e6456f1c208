export { simBinPath, simSmiBinPath } from "../executables.js";
