import type { Table } from "./table.js";

export interface BenchOptions {
  quick: boolean;
  /** Scenario ids to run; empty = all. */
  only: string[];
  allowInstall: boolean;
  /** Run llmux under `--cpu-prof` for a separate load and summarize its hottest functions. */
  profile: boolean;
  nginxWorkers: number;
  writeReadme: boolean;
  /** Run only the baseline columns (direct, nginx), e.g. to check the machine. */
  withoutLlmux: boolean;
  /** Requests in the memory scenario's soak (default: 100,000; 3,000 with `quick`). */
  soak?: number;
}

export interface BenchContext {
  options: BenchOptions;
  nginxPath?: string;
  wrkPath?: string;
  /** Why a column or scenario could not run, printed under its table. */
  notes: string[];
  llmux: boolean;
  sim: boolean;
  log(message: string): void;
}

export interface ScenarioResult {
  table: Table;
  /** Raw figures for the JSON file. */
  raw: Record<string, unknown>;
}

export interface Scenario {
  id: string;
  title: string;
  run(context: BenchContext): Promise<ScenarioResult>;
}
