#!/usr/bin/env node
import { parseArgs } from "./args.js";
import { installCleanupHandlers, stopAll } from "./children.js";
import type { BenchContext, Scenario, ScenarioResult } from "./context.js";
import { machineInfo } from "./machine.js";
import { ensureNginx } from "./nginx.js";
import { probeLlmux, probeSim } from "./probes.js";
import { missedTargets, updateReadme, writeResults, type RunReport } from "./report.js";
import { memoryScenario } from "./scenarios/memory.js";
import { overheadScenario } from "./scenarios/overhead.js";
import { policiesScenario } from "./scenarios/policies.js";
import { profileScenario } from "./scenarios/profile.js";
import { streamingScenario } from "./scenarios/streaming.js";
import { switchScenario } from "./scenarios/switch.js";
import { fleetScenario } from "./scenarios/fleet.js";
import { preemptionScenario } from "./scenarios/preemption.js";
import { liveVsSimScenario } from "./scenarios/live-vs-sim.js";
import { overloadScenario } from "./scenarios/overload.js";
import { renderTable } from "./table.js";
import { ensureWrk } from "./wrk.js";

const SCENARIOS: Scenario[] = [
  overheadScenario,
  streamingScenario,
  switchScenario,
  memoryScenario,
  policiesScenario,
  fleetScenario,
  preemptionScenario,
  profileScenario,
  liveVsSimScenario,
  overloadScenario,
];

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if ("help" in parsed) {
    process.stdout.write(`${parsed.help}\n`);
    return 0;
  }
  const options = parsed;
  installCleanupHandlers();
  const started = Date.now();
  const log = (message: string): void => void process.stderr.write(`bench: ${message}\n`);
  const notes: string[] = [];
  const nginx = ensureNginx(options.allowInstall);
  if ("note" in nginx) notes.push(`nginx column skipped: ${nginx.note}`);
  const wrk = ensureWrk(options.allowInstall);
  if ("note" in wrk) notes.push(`scenario 1 skipped: ${wrk.note}`);
  const llmux = options.withoutLlmux ? { ok: false as const, note: "--without-llmux" } : probeLlmux();
  if (!llmux.ok) notes.push(`llmux columns skipped: ${llmux.note}`);
  const sim = await probeSim();
  if (!sim.ok) notes.push(`scenarios needing vllm-sim skipped: ${sim.note}`);
  const context: BenchContext = {
    options,
    ...("path" in nginx ? { nginxPath: nginx.path } : {}),
    ...("path" in wrk ? { wrkPath: wrk.path } : {}),
    notes,
    llmux: llmux.ok,
    sim: sim.ok,
    log,
  };
  for (const note of notes) log(note);
  const report: RunReport = {
    startedAt: new Date(started).toISOString(),
    mode: options.quick ? "quick" : "full",
    seconds: 0,
    machine: machineInfo({ ...("path" in nginx ? { nginx: nginx.path } : {}), ...("path" in wrk ? { wrk: wrk.path } : {}) }),
    notes,
    scenarios: {},
  };
  for (const scenario of SCENARIOS) {
    if (options.only.length > 0 && !options.only.includes(scenario.id)) continue;
    if (scenario.id === "profile" && !options.profile) continue;
    log(`${scenario.title}`);
    const begun = Date.now();
    let result: ScenarioResult | { error: string };
    try {
      result = await scenario.run(context);
      process.stdout.write(`\n${renderTable(result.table)}\n`);
    } catch (error) {
      result = { error: (error as Error).message };
      process.stdout.write(`\n### ${scenario.title}\n\nScenario failed: ${(error as Error).message}\n\n`);
    }
    // Nothing a scenario started may outlive it, even when it failed half-way.
    await stopAll(5000);
    log(`  done in ${((Date.now() - begun) / 1000).toFixed(1)} s`);
    report.scenarios[scenario.id] = result;
  }
  report.seconds = (Date.now() - started) / 1000;
  const path = writeResults(report, options.only.length === 0);
  log(`results written to ${path}`);
  if (options.writeReadme) {
    updateReadme(report);
    log("bench/README.md updated");
  }
  const missed = missedTargets(report);
  process.stdout.write(`\nTargets missed: ${missed.length === 0 ? "none" : `\n${missed.map((line) => `  - ${line}`).join("\n")}`}\n`);
  process.stdout.write(`Total: ${report.seconds.toFixed(1)} s\n`);
  return 0;
}

main().then(
  async (code) => {
    await stopAll(5000);
    process.exit(code);
  },
  async (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    await stopAll(5000);
    process.exit(1);
  },
);
