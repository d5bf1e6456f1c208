import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "./program.js";

const dir = mkdtempSync(join(tmpdir(), "llmux-simulate-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, callback) {
        into.push(String(chunk));
        callback();
      },
    });
  return { stdout: sink(out), stderr: sink(err), env: {}, out: () => out.join(""), err: () => err.join("") };
}

/** Two models alternating every few seconds. */
function writeTrace(): string {
  const lines: string[] = ["# t, model, tokens"];
  for (let index = 0; index < 40; index += 1) {
    lines.push(JSON.stringify({ t: index * 0.5, model: Math.floor(index / 4) % 2 === 0 ? "a" : "b", tokens: 50 }));
  }
  const path = join(dir, "trace.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

describe("llmux simulate", () => {
  it("prints one row per policy", async () => {
    const cli = io();
    expect(await main(["simulate", "--trace", writeTrace()], cli)).toBe(0);
    const rows = cli.out().trim().split("\n");
    expect(rows[0]).toMatch(/^policy\s+requests\s+failed\s+cut off\s+429\s+wait p50/);
    expect(rows.some((row) => /^fifo\s+40\s+0\s/.test(row))).toBe(true);
    expect(rows.some((row) => /^cost_aware\s+40\s+0\s/.test(row))).toBe(true);
    expect(rows.some((row) => /^time_slice\s+40\s+0\s/.test(row))).toBe(true);
  });

  it("prints JSON for one chosen policy", async () => {
    const cli = io();
    expect(await main(["simulate", "--trace", writeTrace(), "--policies", "fifo", "--json"], cli)).toBe(0);
    const results = JSON.parse(cli.out()) as Array<{ policy: string; served: number }>;
    expect(results.map((result) => [result.policy, result.served])).toEqual([["fifo", 40]]);
  });

  it("exits 2 for a missing or malformed trace and an unknown policy", async () => {
    let cli = io();
    expect(await main(["simulate", "--trace", join(dir, "none.jsonl")], cli)).toBe(2);
    expect(cli.err()).toContain("cannot read the trace");
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"t": 0, "model": "a"}\n');
    cli = io();
    expect(await main(["simulate", "--trace", bad], cli)).toBe(2);
    expect(cli.err()).toContain("trace line 1");
    cli = io();
    expect(await main(["simulate", "--trace", writeTrace(), "--policies", "lifo"], cli)).toBe(2);
    expect(cli.err()).toContain("unknown policy lifo");
  });

  it("takes the engines' costs and service model from flags", async () => {
    const run = async (...flags: string[]) => {
      const cli = io();
      expect(await main(["simulate", "--trace", writeTrace(), "--policies", "fifo", "--json", ...flags], cli)).toBe(0);
      return (JSON.parse(cli.out()) as Array<{ longestSwitchCostSecs: number; longestGenerationSecs: number }>)[0];
    };
    const slow = await run("--sleep1-secs", "20", "--wake1-secs", "5", "--tokens-per-sec", "10", "--prefill-ms", "0");
    expect(slow?.longestSwitchCostSecs).toBe(25);
    expect(slow?.longestGenerationSecs).toBe(5);
    const fast = await run("--sleep1-secs", "1", "--wake1-secs", "0.5");
    expect(fast?.longestSwitchCostSecs).toBe(1.5);
    const cli = io();
    expect(await main(["simulate", "--trace", writeTrace(), "--batch", "0"], cli)).toBe(2);
    expect(cli.err()).toContain("expected a number > 0");
  });

  it("runs each model's engine at its expected_costs from --config; --from-status and flags win over them", async () => {
    const config = join(dir, "expected-costs.json");
    writeFileSync(
      config,
      JSON.stringify({
        models: { a: { model_path: "org/a" }, b: { model_path: "org/b", expected_costs: { wake_secs: { "1": 3 } } } },
        policy: { sleep_level: 1, expected_costs: { sleep_secs: { "1": 6 }, wake_secs: { "1": 2 } } },
      }),
    );
    const status = { models: [{ name: "b", costs: { sleep_ms: { 1: null, 2: null }, wake_ms: { 1: 4000, 2: null }, cold_start_ms: null, stop_ms: null } }] };
    const server = createServer((_req, res) => res.end(JSON.stringify(status)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/llmux/status`;
    const longestSwitch = async (...flags: string[]) => {
      const cli = io();
      expect(await main(["simulate", "--trace", writeTrace(), "--config", config, "--policies", "fifo", "--json", ...flags], cli)).toBe(0);
      return (JSON.parse(cli.out()) as Array<{ longestSwitchCostSecs: number }>)[0]?.longestSwitchCostSecs;
    };
    try {
      // a sleeps 6 s (policy), b wakes 3 s (its own, over the policy's 2 s).
      expect(await longestSwitch()).toBe(9);
      // b's measured wake (4 s) over its expected 3 s.
      expect(await longestSwitch("--from-status", url)).toBe(10);
      // A flag over both.
      expect(await longestSwitch("--from-status", url, "--wake1-secs", "1")).toBe(7);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("--from-status takes the costs a running llmux measured", async () => {
    const status = {
      models: [
        { name: "a", costs: { sleep_ms: { 1: 7000, 2: null }, wake_ms: { 1: 2000, 2: null }, cold_start_ms: null, stop_ms: null, samples: 3 } },
        { name: "b", costs: { sleep_ms: { 1: 7000, 2: null }, wake_ms: { 1: 2000, 2: null }, cold_start_ms: null, stop_ms: null, samples: 3 } },
      ],
    };
    const server = createServer((_req, res) => res.end(JSON.stringify(status)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/llmux/status`;
      const cli = io();
      expect(await main(["simulate", "--trace", writeTrace(), "--policies", "fifo", "--json", "--from-status", url], cli)).toBe(0);
      expect((JSON.parse(cli.out()) as Array<{ longestSwitchCostSecs: number }>)[0]?.longestSwitchCostSecs).toBe(9);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const cli = io();
    expect(await main(["simulate", "--trace", writeTrace(), "--from-status", "http://127.0.0.1:1/llmux/status"], cli)).toBe(2);
    expect(cli.err()).toContain("cannot read the measured costs");
  });
});
