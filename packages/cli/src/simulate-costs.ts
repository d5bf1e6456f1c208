import { InvalidArgumentError } from "commander";
import type { SimEngineCostsInput, SimServiceOptions } from "@llmux/core";

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
  const costs: SimEngineCostsInput = {};
  const ms = (secs: number | undefined) => (secs === undefined ? undefined : secs * 1000);
  if (flags.startSecs !== undefined) costs.startMs = flags.startSecs * 1000;
  if (flags.stopSecs !== undefined) costs.stopMs = flags.stopSecs * 1000;
  costs.sleepMs = levels(ms(flags.sleep1Secs), ms(flags.sleep2Secs));
  costs.wakeMs = levels(ms(flags.wake1Secs), ms(flags.wake2Secs));
  return costs;
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
    const sleep1 = num(costs.sleep_ms?.["1"]);
    const sleep2 = num(costs.sleep_ms?.["2"]);
    const wake1 = num(costs.wake_ms?.["1"]);
    const wake2 = num(costs.wake_ms?.["2"]);
    measured.sleepMs = levels(sleep1, sleep2);
    measured.wakeMs = levels(wake1, wake2);
    result[entry.name] = measured;
  }
  return result;
}

function levels(one: number | undefined, two: number | undefined): { 1?: number; 2?: number } {
  return { ...(one === undefined ? {} : { 1: one }), ...(two === undefined ? {} : { 2: two }) };
}
