import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
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
    expect(rows[0]).toMatch(/^policy\s+requests\s+failed\s+wait p50/);
    expect(rows.some((row) => /^fifo\s+40\s+0\s/.test(row))).toBe(true);
    expect(rows.some((row) => /^cost_aware\s+40\s+0\s/.test(row))).toBe(true);
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
});
