import { setTimeout as sleep } from "node:timers/promises";
import { expect, test } from "vitest";
import { request } from "undici";
import { chat, modelStates } from "./harness/client.js";
import { useRun } from "./harness/llmux-run.js";

// A client that gives up while queued for a switch takes the switch with it:
// the awake model finishes its drain and stays awake, the other never starts.

const { run, agent } = useRun();

test("a request aborted while queued no longer triggers its switch", async () => {
  await run.start({
    models: [
      // 8 tokens/s: even the shortest natural answer (8 tokens) keeps q1 draining for a second.
      { name: "q1", sleepLevel: 1, simArgs: ["--sim-tokens-per-sec", "8"] },
      { name: "q2", sleepLevel: 1 },
    ],
  });
  expect((await chat(run.url, "q1", { dispatcher: agent, timeoutMs: 60_000 })).result).toBe("ok");
  const stream = chat(run.url, "q1", { dispatcher: agent, stream: true, maxTokens: 100, timeoutMs: 120_000 });

  const controller = new AbortController();
  const queued = request(`${run.url}/v1/chat/completions`, {
    method: "POST",
    dispatcher: agent,
    signal: controller.signal,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "q2", messages: [{ role: "user", content: "x" }], max_tokens: 2 }),
  }).catch((error: unknown) => error);
  const deadline = Date.now() + 20_000;
  let states = await modelStates(run.url);
  while (Date.now() < deadline && !states.some((model) => model.name === "q2" && model.queue_depth > 0)) {
    await sleep(20);
    states = await modelStates(run.url);
  }
  expect(states.find((model) => model.name === "q2")?.queue_depth, "the q2 request is queued behind q1's drain").toBe(1);
  controller.abort();
  await queued;

  expect((await stream).result, "the stream that held q1 finishes").toBe("ok");
  // Give a (wrong) switch every chance to happen before looking.
  await sleep(1_000);
  const after = await modelStates(run.url);
  const events = run.workspace.events();
  expect(after.map((model) => [model.name, model.state, model.queue_depth])).toEqual([
    ["q1", "awake", 0],
    ["q2", "stopped", 0],
  ]);
  expect(events.filter((event) => event.model === "q2")).toEqual([]);
  expect(events.filter((event) => event.event === "sleep")).toEqual([]);
});
