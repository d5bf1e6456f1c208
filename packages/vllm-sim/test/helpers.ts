import { afterEach } from "vitest";
import { type SimHandle, type SpawnSimOptions, spawnSim } from "../src/testing/index.js";

/** Spawn sims that are stopped after each test, pass or fail. */
export function useSims(): (options?: SpawnSimOptions) => Promise<SimHandle> {
  const started: SimHandle[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((sim) => sim.stop()));
  });
  return async (options) => {
    const sim = await spawnSim({ waitReady: false, ...options });
    started.push(sim);
    if (options?.waitReady === false) return sim;
    // spawnSim would stop on failure; here the tracker owns cleanup, so wait separately.
    await waitHealthy(sim);
    return sim;
  };
}

export async function waitHealthy(sim: SimHandle, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void sim.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`sim exited before ready:\n${sim.logs().slice(-10).join("\n")}`);
    const ok = await fetch(`${sim.url}/health`)
      .then(async (response) => {
        await response.arrayBuffer();
        return response.status === 200;
      })
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("sim not ready in time");
}

export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), ...init });
}

export const chatBody = (model: string, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model,
  messages: [{ role: "user", content }],
  temperature: 0,
  ...extra,
});

/** Parse an SSE body into its `data:` payloads (the `[DONE]` marker kept as a string). */
export async function readSse(response: Response): Promise<Array<Record<string, unknown> | "[DONE]">> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => {
      const data = event.slice("data: ".length);
      return data === "[DONE]" ? "[DONE]" : (JSON.parse(data) as Record<string, unknown>);
    });
}

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function chatText(response: Response): Promise<string> {
  const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
  return body.choices[0]?.message.content ?? "";
}
