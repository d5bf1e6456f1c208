import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, expect, test } from "vitest";
import { Agent } from "undici";
import { chat, injectFault, modelStates } from "./harness/client.js";
import { LlmuxRun } from "./harness/llmux-run.js";

// SIGTERM in the worst moment: a switch stuck in a vLLM /sleep that never
// answers (the default sleep timeout is 120 s). Shutdown must not wait for it,
// the queued request must end, and no engine may outlive llmux.

const runs: LlmuxRun[] = [];
const agent = new Agent({ connections: 8 });

afterEach(async () => {
  for (const run of runs.splice(0)) await run.stop();
});

test("SIGTERM during a switch stuck in a hung sleep: bounded exit, queued request ends, nothing left", async () => {
  const run = new LlmuxRun();
  runs.push(run);
  await run.start({
    models: [
      { name: "h1", sleepLevel: 1 },
      { name: "h2", sleepLevel: 1 },
    ],
    // Defaults for the sleep timeout (120 s); short graces so the bound below is generous.
    policy: { sleep_timeout_secs: 120, stop_grace_secs: 2 },
    proxy: { shutdown_grace_secs: 3 },
  });
  expect((await chat(run.url, "h1", { dispatcher: agent, timeoutMs: 60_000 })).result).toBe("ok");
  expect(await injectFault(run.simUrl("h1"), "hang_sleep")).toBe(true);
  const queued = chat(run.url, "h2", { dispatcher: agent, timeoutMs: 90_000 });
  // Wait until the switch is inside the hung sleep.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !(await modelStates(run.url)).some((model) => model.name === "h1" && model.state === "sleeping")) await sleep(25);
  expect((await modelStates(run.url)).find((model) => model.name === "h1")?.state).toBe("sleeping");

  const signalledAt = Date.now();
  const stopped = await run.stop();
  const exitMs = Date.now() - signalledAt;
  const outcome = await queued;
  process.stdout.write(`reliability shutdown: exit ${JSON.stringify(stopped.exit)} after ${exitMs} ms; queued request: ${outcome.status} ${outcome.result}\n`);

  // Shutdown grace (3 s) + stop grace (2 s), with room for a loaded machine; far below the 120 s sleep timeout.
  expect(exitMs).toBeLessThan(30_000);
  expect(stopped.exit).toEqual({ code: 0, signal: null });
  expect(stopped.leftBehind).toEqual([]);
  expect(outcome.result, "the queued request ends with an answer, not a reset").not.toMatch(/^(timeout|network:)/);
});
