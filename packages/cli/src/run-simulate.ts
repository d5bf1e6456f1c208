import { readFileSync } from "node:fs";
import { POLICIES, formatResultsTable, parseTrace, simulateTrace, traceConfig, type Policy, type SimEngineCostsInput } from "@llmux/core";
import { costsFromFlags, costsFromStatus, flagsOverStatus, serviceFromFlags, type SimulateModelFlags } from "./simulate-costs.js";
import { isLlmuxError } from "@llmux/types";
import type { CliIo } from "./cli-io.js";
import { EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
import { loadConfigOrReport } from "./run-server.js";

export interface SimulateCommandOptions extends SimulateModelFlags {
  trace: string;
  config?: string | undefined;
  policies?: string | undefined;
  json?: boolean | undefined;
  fromStatus?: string | undefined;
}

/**
 * `llmux simulate --trace <file>`: replay the trace in virtual time once per
 * policy (core's trace simulator, the same multiplexer code as production)
 * and print the comparison table. Engine costs, most binding first: flags,
 * `--from-status`, the config's `expected_costs`, the simulator's defaults.
 */
export async function runSimulate(options: SimulateCommandOptions, io: CliIo): Promise<number> {
  let text: string;
  try {
    text = readFileSync(options.trace, "utf8");
  } catch (error) {
    io.stderr.write(`${options.trace}: cannot read the trace: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  let trace;
  try {
    trace = parseTrace(text);
  } catch (error) {
    if (!isLlmuxError(error)) throw error;
    io.stderr.write(`${options.trace}: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (trace.length === 0) {
    io.stderr.write(`${options.trace}: the trace has no requests\n`);
    return EXIT_USAGE;
  }
  let policies: Policy[] | undefined;
  if (options.policies !== undefined) {
    const known = POLICIES as Record<string, Policy>;
    const names = options.policies.split(",").map((name) => name.trim());
    const unknown = names.filter((name) => !Object.hasOwn(known, name));
    if (unknown.length > 0) {
      io.stderr.write(`error: unknown policy ${unknown.join(", ")} (known: ${Object.keys(known).join(", ")})\n`);
      return EXIT_USAGE;
    }
    policies = names.map((name) => known[name] as Policy);
  }
  let config = traceConfig(trace);
  if (options.config !== undefined) {
    const loaded = loadConfigOrReport(options.config, undefined, io);
    if (typeof loaded === "number") return loaded;
    config = loaded;
  }
  let modelCosts: Record<string, SimEngineCostsInput> | undefined;
  if (options.fromStatus !== undefined) {
    try {
      const response = await fetch(options.fromStatus, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      modelCosts = costsFromStatus(await response.json());
    } catch (error) {
      io.stderr.write(`${options.fromStatus}: cannot read the measured costs: ${(error as Error).message}\n`);
      return EXIT_USAGE;
    }
  }
  const flagCosts = costsFromFlags(options);
  const results = await simulateTrace({
    trace,
    config,
    costs: flagCosts,
    service: serviceFromFlags(options),
    ...(modelCosts === undefined ? {} : { modelCosts: flagsOverStatus(modelCosts, flagCosts) }),
    ...(policies === undefined ? {} : { policies }),
  });
  io.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : `${formatResultsTable(results)}\n`);
  return EXIT_OK;
}
