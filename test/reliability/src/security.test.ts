import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { Agent, request } from "undici";
import { chat } from "./harness/client.js";
import { LlmuxRun } from "./harness/llmux-run.js";
import { listenAddresses } from "./harness/tcp.js";

// The claims SECURITY.md makes, checked against the built binary.

const runs: LlmuxRun[] = [];
const agent = new Agent({ connections: 8 });

afterEach(async () => {
  for (const run of runs.splice(0)) {
    const stopped = await run.stop();
    expect(stopped.leftBehind, "simulators left behind").toEqual([]);
  }
});

async function startRun(options: Parameters<LlmuxRun["start"]>[0]): Promise<LlmuxRun> {
  const run = new LlmuxRun();
  runs.push(run);
  await run.start(options);
  return run;
}

async function post(url: string, token?: string, body?: unknown): Promise<number> {
  const response = await request(url, {
    method: "POST",
    dispatcher: agent,
    headers: { "content-type": "application/json", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  await response.body.text();
  return response.statusCode;
}

describe.skipIf(!existsSync("/proc/net/tcp"))("vLLM listens on loopback only", () => {
  test("with the default config", async () => {
    const run = await startRun({ models: [{ name: "s1", sleepLevel: 1 }] });
    expect((await chat(run.url, "s1", { dispatcher: agent, timeoutMs: 60_000 })).result).toBe("ok");
    expect(listenAddresses(run.modelPorts.get("s1")!)).toEqual(["0100007F"]);
  });

  test("even when extra_args asks for another host: llmux refuses the config or keeps 127.0.0.1", async () => {
    // vLLM's argparse lets the last --host win; its admin routes have no authentication.
    const run = new LlmuxRun();
    runs.push(run);
    let refused = false;
    try {
      await run.start({ models: [{ name: "s1", sleepLevel: 1, simArgs: ["--host", "0.0.0.0"] }] });
    } catch {
      refused = true;
    }
    if (refused) {
      expect((await run.exit)?.code, "a refused config exits 2").toBe(2);
      return;
    }
    await chat(run.url, "s1", { dispatcher: agent, timeoutMs: 60_000 });
    expect(listenAddresses(run.modelPorts.get("s1")!)).toEqual(["0100007F"]);
  });
});

describe("keys", () => {
  test("api_keys guard every route but /health; admin routes need an admin key", async () => {
    const run = await startRun({
      models: [{ name: "k1", sleepLevel: 1 }],
      proxy: { api_keys: ["user-key"], admin_keys: ["admin-key"] },
    });
    const body = { model: "k1", messages: [{ role: "user", content: "x" }], max_tokens: 2 };
    expect(await post(`${run.url}/v1/chat/completions`, undefined, body)).toBe(401);
    expect(await post(`${run.url}/v1/chat/completions`, "wrong", body)).toBe(401);
    expect(await post(`${run.url}/v1/chat/completions`, "user-key", body)).toBe(200);
    const health = await request(`${run.url}/health`, { dispatcher: agent });
    await health.body.text();
    expect(health.statusCode).toBe(200);
    for (const path of ["/v1/models", "/llmux/status"]) {
      const response = await request(`${run.url}${path}`, { dispatcher: agent });
      await response.body.text();
      expect(response.statusCode, path).toBe(401);
    }
    expect(await post(`${run.url}/llmux/models/k1/sleep`)).toBe(401);
    expect(await post(`${run.url}/llmux/models/k1/sleep`, "user-key")).toBe(401);
    expect(await post(`${run.url}/llmux/models/k1/sleep`, "admin-key")).toBeLessThan(300);
  });
});

describe("config values never reach a shell", () => {
  test("shell syntax in model_path, extra_args and env stays inert", async () => {
    const run = new LlmuxRun();
    runs.push(run);
    const marker = (name: string): string => join(run.dir, name);
    await run.start({
      models: [
        {
          name: "sh1",
          sleepLevel: 1,
          simArgs: [`--served-note=$(touch ${marker("argv-subst")})`, `--other=\`touch ${marker("argv-backtick")}\`;touch ${marker("argv-semicolon")}`],
          env: { RELIABILITY_NOTE: `$(touch ${marker("env-subst")})` },
        },
      ],
    });
    const outcome = await chat(run.url, "sh1", { dispatcher: agent, timeoutMs: 60_000 });
    expect(outcome.result).toBe("ok");
    for (const name of ["argv-subst", "argv-backtick", "argv-semicolon", "env-subst"]) expect(existsSync(marker(name)), name).toBe(false);
  });
});
