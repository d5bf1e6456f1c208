import { InvalidArgumentError } from "commander";
import { costsFromExpected, mergeCosts, type SimEngineCostsInput, type SimServiceOptions } from "@llmux/core";

/** `llmux simulate` flags that set the engines' costs and service model for every model. */
export interface SimulateModelFlags {
  sleep1Secs?: number | undefined;
  wake1Secs?: number | undefined;
  sleep2Secs?: number | undefined;
  wake2Secs?: number | undefined;
  startSecs?: number | undefined;
  stopSecs?: number | undefined;
  tokensPerSec?: number | undefined;
  prefillMs?: number | undefined;
  batch?: number | undefined;
}

/** A number of seconds or milliseconds >= 0. */
export function parseDuration(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < 0) throw new InvalidArgumentError(`expected a number >= 0, found "${value}"`);
  return number;
}

/** A rate or count > 0. */
export function parsePositive(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number <= 0) throw new InvalidArgumentError(`expected a number > 0, found "${value}"`);
  return number;
}

export function costsFromFlags(flags: SimulateModelFlags): SimEngineCostsInput {
  return costsFromExpected({
    cold_start_secs: flags.startSecs,
    stop_secs: flags.stopSecs,
    sleep_secs: { "1": flags.sleep1Secs, "2": flags.sleep2Secs },
    wake_secs: { "1": flags.wake1Secs, "2": flags.wake2Secs },
  });
}

/**
 * Each model's costs from `--from-status` with the flags over them: a flag is
 * what the user asks for now, so it beats what llmux measured (and both beat
 * the config's `expected_costs`, which `simulateTrace` puts under them).
 */
export function flagsOverStatus(status: Record<string, SimEngineCostsInput>, flags: SimEngineCostsInput): Record<string, SimEngineCostsInput> {
  return Object.fromEntries(Object.entries(status).map(([name, measured]) => [name, mergeCosts(measured, flags)]));
}

export function serviceFromFlags(flags: SimulateModelFlags): Partial<SimServiceOptions> {
  const service: Partial<SimServiceOptions> = {};
  if (flags.tokensPerSec !== undefined) service.tokensPerSec = flags.tokensPerSec;
  if (flags.prefillMs !== undefined) service.ttftMs = flags.prefillMs;
  if (flags.batch !== undefined) service.maxConcurrency = Math.floor(flags.batch);
  return service;
}

/**
 * Per-model costs a running llmux measured, from its `/llmux/status`
 * (`models[].costs`: moving averages in ms, null where not measured yet).
 */
export function costsFromStatus(status: unknown): Record<string, SimEngineCostsInput> {
  const models = (status as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) throw new Error("expected a status with a `models` list (GET /llmux/status of llmux)");
  const result: Record<string, SimEngineCostsInput> = {};
  for (const entry of models as { name?: unknown; costs?: Record<string, unknown> }[]) {
    if (typeof entry.name !== "string" || !entry.costs) continue;
    const costs = entry.costs as { sleep_ms?: Record<string, unknown>; wake_ms?: Record<string, unknown>; cold_start_ms?: unknown; stop_ms?: unknown };
    const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
    const measured: SimEngineCostsInput = {};
    const start = num(costs.cold_start_ms);
    const stop = num(costs.stop_ms);
    if (start !== undefined) measured.startMs = start;
    if (stop !== undefined) measured.stopMs = stop;
    measured.sleepMs = { 1: num(costs.sleep_ms?.["1"]), 2: num(costs.sleep_ms?.["2"]) };
    measured.wakeMs = { 1: num(costs.wake_ms?.["1"]), 2: num(costs.wake_ms?.["2"]) };
    result[entry.name] = measured;
  }
  return result;
}
