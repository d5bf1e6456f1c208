import { expect, test } from "vitest";
import { chat, getJson } from "./harness/client.js";
import { useRun } from "./harness/llmux-run.js";
import { metricTotals } from "./harness/metrics.js";
import { checkLog } from "./harness/sim-log.js";

// Metrics must tell an operator what happened. The README defines
// llmux_model_restarts_total as "unexpected vLLM exits": routine level-3
// switches (stop, then a cold start on the next request) are not that.

const { run, agent } = useRun();

test("level-3 switches without any fault count no restarts", async () => {
  await run.start({
    models: [
      { name: "r1", sleepLevel: 1 },
      { name: "r3", sleepLevel: 3 },
    ],
    metrics: true,
  });
  for (const model of ["r3", "r1", "r3", "r1", "r3"]) {
    expect((await chat(run.url, model, { dispatcher: agent, timeoutMs: 60_000 })).result).toBe("ok");
  }
  const verdict = checkLog(run.workspace.events());
  // Three cold starts of r3, each after a routine stop; nothing crashed.
  expect(verdict.counts["ready"]).toBe(4);
  expect(verdict.crashReasons).toEqual({});
  const totals = await metricTotals(run.metricsUrl, ["llmux_model_restarts_total", "llmux_switches_total"]);
  const status = (await getJson(`${run.url}/llmux/status`)) as { models: Array<{ name: string; restarts: number }> };
  process.stdout.write(
    `reliability metrics: ${JSON.stringify(totals)}; status restarts ${JSON.stringify(status.models.map((model) => [model.name, model.restarts]))}\n`,
  );
  expect(totals["llmux_switches_total"]).toBeGreaterThanOrEqual(4);
  expect(totals["llmux_model_restarts_total"], "llmux_model_restarts_total counts unexpected exits only").toBe(0);
  expect(status.models.map((model) => [model.name, model.restarts])).toEqual([
    ["r1", 0],
    ["r3", 0],
  ]);
});
