/** What the cli's tests share beyond the harness (`src/testing`): per-test workspaces, a captured logger, requests, process lookups. */
import { Writable } from "node:stream";
import { afterEach, beforeEach } from "vitest";
import { createLogger, type LogLevel } from "../../src/logger.js";
import { isAlive, listPids, readCommandLine } from "../../src/proc-info.js";
import { Workspace, simConfig } from "../../src/testing/index.js";

/**
 * A fresh workspace for each test, handed to `set`, and cleaned up after it
 * (after the file's own later-declared afterEach hooks, which run first).
 */
export function workspacePerTest(set: (workspace: Workspace) => void): void {
  let current: Workspace | undefined;
  beforeEach(() => {
    current = new Workspace("llmux-cli-e2e");
    set(current);
  });
  afterEach(async () => {
    await current?.cleanup();
  });
}

/** A JSON logger whose lines are kept, parsed, in `lines`. */
export function captureLogger(level: LogLevel = "info") {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).trim().split("\n")) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ destination: stream, format: "json", level }), lines };
}

/** A non-streaming chat request; resolves with the status and parsed body. */
export async function chat(url: string, model: string, maxTokens = 5): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }], max_tokens: maxTokens }),
    signal: AbortSignal.timeout(120_000),
  });
  return { status: response.status, body: await response.json() };
}

/** Live simulator processes serving on `port` (found by command line, for processes that never got to log). */
export function simPidsOnPort(port: number): number[] {
  return listPids().filter((pid) => {
    const argv = readCommandLine(pid) ?? [];
    const index = argv.indexOf("--port");
    return argv.some((item) => item.endsWith("vllm-sim/dist/cli.js")) && argv[index + 1] === String(port) && isAlive(pid);
  });
}

/**
 * Two simulated models for pause-and-resume tests: m1 generates at 40 tokens/s
 * and a switch pauses it after 0.2 s of drain; m2 takes `m2StartupMs` to start,
 * which is how long m1's requests stay paused.
 */
export function pausingConfig(workspace: Workspace, m2StartupMs: number, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const fast = { VLLM_SIM_SLEEP1_MS: "50", VLLM_SIM_WAKE1_MS: "50", VLLM_SIM_STARTUP_MS: "100" };
  return simConfig(
    workspace,
    [
      { name: "m1", sleepLevel: 1, env: { ...fast, VLLM_SIM_TOKENS_PER_SEC: "40" } },
      { name: "m2", sleepLevel: 1, env: { ...fast, VLLM_SIM_STARTUP_MS: String(m2StartupMs) } },
    ],
    { ...extra, policy: { max_drain_secs: 0.2, ...(extra["policy"] as Record<string, unknown> | undefined) } },
  );
}

/** POST a chat request with `body`'s fields (messages default to one user turn); the response as fetch gives it. */
export function postChat(url: string, model: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "tell a long story" }], ...body }),
    signal: AbortSignal.timeout(60_000),
  });
}
