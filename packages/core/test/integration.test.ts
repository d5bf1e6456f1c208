import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VllmServer, serverOptionsFromConfig } from "@llmux/vllm-client";
import { freePort, readSimEvents, simBinPath, type SimEvent } from "@llmux/vllm-sim/testing";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/parse-config.js";
import type { LlmuxConfig } from "../src/config/types.js";
import type { MuxEvent } from "../src/events.js";
import { Multiplexer } from "../src/multiplexer.js";

// Real vllm-sim processes driven through VllmServer: build @llmux/vllm-sim first.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  policyType: "fifo" | "cost_aware",
  idleSecs: Record<string, number> = {},
): Promise<{ mux: Multiplexer; config: LlmuxConfig; logs: Record<string, string>; pids: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "llmux-core-it-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const names = ["alpha", "beta", "gamma"];
  const logs: Record<string, string> = {};
  const models: Record<string, unknown> = {};
  for (const name of names) {
    logs[name] = join(dir, `${name}.events.jsonl`);
    models[name] = {
      model_path: `/models/${name}`,
      port: await freePort(),
      sleep_level: name === "gamma" ? 2 : 1,
      extra_args: ["--sim-event-log", logs[name], "--sim-tokens-per-sec", "400", "--sim-startup-ms", "200"],
      env: { VLLM_SIM_STATE_DIR: join(dir, "gpus"), VLLM_SIM_CONTROL: "1" },
      startup_timeout_secs: 60,
      ...(idleSecs[name] === undefined ? {} : { idle_timeout_secs: idleSecs[name] }),
    };
  }
  const config = parseConfig({
    vllm_command: simBinPath,
    models,
    policy: { policy_type: policyType, request_timeout_secs: 120, max_wait_secs: 5, stop_grace_secs: 2 },
  });
  const pids: number[] = [];
  const mux = new Multiplexer({
    config,
    engineFactory: (name, model, cfg) => {
      const server = new VllmServer({ ...serverOptionsFromConfig(name, model, cfg), healthIntervalMs: 25 });
      server.on("spawn", ({ pid }: { pid: number }) => pids.push(pid));
      cleanups.push(() => server.destroy());
      return server;
    },
  });
  cleanups.push(() => mux.destroy());
  return { mux, config, logs, pids };
}

async function chat(mux: Multiplexer, model: string, tokens: number): Promise<string> {
  const lease = await mux.acquire(model);
  try {
    const response = await fetch(`${lease.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "Count to ten." }], max_tokens: tokens, stream: true }),
      signal: lease.signal,
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(text.trimEnd().endsWith("data: [DONE]"), text).toBe(true);
    return text;
  } finally {
    lease.release();
  }
}

/** Replays one process's event log: no request while asleep, no sleep while requests run, no crash. */
function violations(events: SimEvent[]): string[] {
  const problems: string[] = [];
  const byPid = new Map<number, { asleep: boolean; running: Set<string> }>();
  for (const event of events) {
    const state = byPid.get(event.pid) ?? { asleep: false, running: new Set<string>() };
    byPid.set(event.pid, state);
    switch (event.event) {
      case "request_start":
        if (state.asleep) problems.push(`${event.model}: request ${event.id} reached a sleeping server`);
        state.running.add(String(event.id));
        break;
      case "request_end":
        state.running.delete(String(event.id));
        break;
      case "sleep":
        if (state.running.size > 0) problems.push(`${event.model}: sleep with ${state.running.size} running`);
        state.asleep = true;
        break;
      case "wake":
        state.asleep = false;
        break;
      case "crash":
        problems.push(`${event.model}: crash (${String(event.reason)})`);
        break;
    }
  }
  return problems;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each(["fifo", "cost_aware"] as const)("Multiplexer on real vllm-sim processes (%s)", (policyType) => {
  it("switches among three models under concurrent load, loses nothing, never crashes a server", async () => {
    const { mux, logs, pids } = await setup(policyType);
    const names = ["alpha", "beta", "gamma"];
    const jobs: Promise<string>[] = [];
    // Three waves of mixed traffic, each request a real stream.
    for (let wave = 0; wave < 3; wave++) {
      for (let i = 0; i < 12; i++) jobs.push(chat(mux, names[(i + wave) % 3]!, 20 + ((i * 7) % 40)));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const results = await Promise.allSettled(jobs);
    const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    const snapshot = mux.snapshot();
    expect(snapshot.switches.filter((s) => s.from.length > 0 && s.result === "ok").length).toBeGreaterThan(0);
    expect(snapshot.switches.every((s) => s.result !== "failed")).toBe(true);
    await mux.close();
    const all = Object.values(logs).flatMap((path) => readSimEvents(path));
    expect(violations(all)).toEqual([]);
    expect(all.filter((e) => e.event === "request_end" && e.outcome === "completed")).toHaveLength(36);
    expect(all.filter((e) => e.event === "sleep").length).toBeGreaterThan(0);
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe("Multiplexer on real vllm-sim processes: every switch is recorded", () => {
  it("records admin sleeps, wakes and stops and idle sleeps with their trigger; events about a request carry its id", async () => {
    const { mux, logs } = await setup("fifo", { beta: 1 });
    const events: MuxEvent[] = [];
    mux.on((event) => events.push(event));
    const lease = await mux.acquire("alpha", { requestId: "r-1" });
    lease.release();
    await mux.sleepModel("alpha");
    await mux.wakeModel("alpha");
    await mux.stopModel("alpha");
    const other = await mux.acquire("beta", { requestId: "r-2" });
    other.release();
    // beta's idle_timeout_secs (1 s) puts it to sleep on its own.
    const deadline = Date.now() + 15_000;
    while (!events.some((e) => e.type === "switch-end" && e.record.trigger === "idle") && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const late = mux.acquire("gamma", { requestId: "r-3", deadline: mux.clock.now() + 1 });
    await expect(late).rejects.toMatchObject({ code: "LLMUX_ERR_QUEUE_TIMEOUT" });

    const records = mux.snapshot().switches;
    expect(records.slice(0, 6).map((r) => [r.trigger, r.from, r.to, r.result])).toEqual([
      ["request", [], "alpha", "ok"],
      ["admin", ["alpha"], null, "ok"],
      ["admin", [], "alpha", "ok"],
      ["admin", ["alpha"], null, "ok"],
      ["request", [], "beta", "ok"],
      ["idle", ["beta"], null, "ok"],
    ]);
    expect(records[1]?.phases.map((p) => [p.phase, p.model, p.level, p.ok])).toEqual([
      ["drain", "alpha", undefined, true],
      ["sleep", "alpha", 1, true],
    ]);
    expect(records[3]?.phases.map((p) => [p.phase, p.level])).toEqual([
      ["drain", undefined],
      ["stop", 3],
    ]);
    // Each record came with its events.
    const starts = events.flatMap((e) => (e.type === "switch-start" ? [[e.id, e.trigger]] : []));
    const ends = events.flatMap((e) => (e.type === "switch-end" ? [[e.record.id, e.record.trigger]] : []));
    expect(ends.slice(0, 6)).toEqual(records.slice(0, 6).map((r) => [r.id, r.trigger]));
    expect(starts.slice(0, 6)).toEqual(ends.slice(0, 6));

    const about = (id: string) => events.flatMap((e) => ("requestId" in e && e.requestId === id ? [e.type] : []));
    expect(about("r-1")).toEqual(["queued", "admitted", "released"]);
    expect(about("r-2")).toEqual(["queued", "admitted", "released"]);
    expect(about("r-3")).toEqual(["queued", "rejected"]);
    expect(events.find((e) => e.type === "rejected" && e.requestId === "r-3")).toMatchObject({ code: "LLMUX_ERR_QUEUE_TIMEOUT", model: "gamma" });
    await mux.close();
    expect(violations(Object.values(logs).flatMap((path) => readSimEvents(path)))).toEqual([]);
  });
});

async function fault(url: string, name: string): Promise<void> {
  const response = await fetch(`${url}/_sim/fault`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ fault: name }),
  });
  expect(response.status).toBe(200);
}

describe("Multiplexer on real vllm-sim processes: failures", () => {
  it("a crashed process fails its lease with LLMUX_ERR_ENGINE_CRASHED and the next request restarts it", async () => {
    const { mux, pids } = await setup("fifo");
    const lease = await mux.acquire("alpha");
    const aborted = new Promise<unknown>((resolve) => lease.signal.addEventListener("abort", () => resolve(lease.signal.reason), { once: true }));
    await fault(lease.url, "crash");
    expect(await aborted).toMatchObject({ code: "LLMUX_ERR_ENGINE_CRASHED", status: 502 });
    lease.release();
    expect(mux.snapshot().models.find((m) => m.name === "alpha")?.state).toBe("stopped");
    await chat(mux, "alpha", 5);
    expect(mux.snapshot().models.find((m) => m.name === "alpha")?.restarts).toBe(1);
    await mux.close();
    expect(pids.filter(alive)).toEqual([]);
  });

  it("a failed sleep escalates to a stop and the switch still completes", async () => {
    const { mux, logs, pids } = await setup("fifo");
    await chat(mux, "alpha", 5);
    const lease = await mux.acquire("alpha");
    await fault(lease.url, "fail_sleep");
    lease.release();
    await chat(mux, "beta", 5);
    expect(mux.snapshot().models.find((m) => m.name === "alpha")).toMatchObject({ state: "stopped", lastError: expect.stringMatching(/sleep failed/) });
    await chat(mux, "alpha", 5);
    await mux.close();
    const all = Object.values(logs).flatMap((path) => readSimEvents(path));
    expect(violations(all)).toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
  });
});
