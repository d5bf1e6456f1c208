#!/usr/bin/env node
import { SimConfigError } from "./errors.js";
import { runSmi } from "./gpu/smi-query.js";
import { resolveKnobs } from "./serve/knobs.js";

// vllm-sim-smi reads the same VLLM_SIM_* settings as the simulator.
try {
  const knobs = resolveKnobs({}, process.env);
  const result = runSmi(process.argv.slice(2), knobs);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.code;
} catch (error) {
  if (!(error instanceof SimConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 2;
}
