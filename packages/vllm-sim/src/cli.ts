#!/usr/bin/env node
import { serve } from "./serve/serve.js";
import { VERSION } from "./version.js";
import { resolveKnobs } from "./serve/knobs.js";
import { USAGE } from "./usage.js";

const argv = process.argv.slice(2);
if (argv[0] === "--version" || argv[0] === "-v") {
  // vLLM prints its own version; the simulated one is configurable.
  let version = "0.13.0";
  try {
    version = resolveKnobs({}, process.env).version;
  } catch {
    // Bad knobs are reported by `serve`; --version stays useful.
  }
  process.stdout.write(`${version}\n`);
} else if (argv.includes("--help") || argv.includes("-h")) {
  // Like vLLM's argparse: help wins wherever it appears, and is not an error.
  process.stdout.write(USAGE);
} else if (argv[0] === "--sim-package-version") {
  process.stdout.write(`${VERSION}\n`);
} else {
  await serve(argv, process.env);
}
