import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "./program.js";

/** `llmux simulate` with idle timeouts, pinning and priority in the config: the multiplexer under test honours them. */
const dir = mkdtempSync(join(tmpdir(), "llmux-simulate-lifecycle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  served: number;
  failed: number;
  switches: number;
  idleActions: number;
  evictions: Record<string, number>;
}

/** Three models, two fit at once; a, b and c take turns in bursts, with a quiet minute in the middle. */
function writeTrace(): string {
  const lines: string[] = [];
  for (let index = 0; index < 60; index++) {
    const t = index * 0.5 + (index >= 30 ? 60 : 0);
    lines.push(JSON.stringify({ t, model: ["a", "b", "c"][Math.floor(index / 3) % 3], tokens: 40 }));
  }
  const path = join(dir, "trace.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

async function simulate(models: Record<string, Record<string, unknown>>): Promise<Result> {
  const config = {
    models: Object.fromEntries(
      ["a", "b", "c"].map((name, index) => [
        name,
        { model_path: `org/${name}`, port: 8001 + index, gpu_memory_utilization: 0.45, sleep_level: 1, ...models[name] },
      ]),
    ),
    policy: { min_active_secs: 0 },
  };
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  const out: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, callback) {
        into.push(String(chunk));
        callback();
      },
    });
  const err: string[] = [];
  const code = await main(["simulate", "--trace", writeTrace(), "--config", path, "--policies", "fifo", "--json"], {
    stdout: sink(out),
    stderr: sink(err),
    env: {},
  });
  expect(code, err.join("")).toBe(0);
  return (JSON.parse(out.join("")) as Result[])[0]!;
}

describe("llmux simulate with lifecycle settings", () => {
  it("counts idle sleeps, never evicts a pinned model and evicts lower priority first", async () => {
    const plain = await simulate({});
    expect(plain).toMatchObject({ served: 60, failed: 0, idleActions: 0 });
    expect(plain.evictions["a"]).toBeGreaterThan(0);

    // The quiet minute outlasts a 10 s idle timeout: the awake models are put to sleep.
    const idle = await simulate({ a: { idle_timeout_secs: 10 }, b: { idle_timeout_secs: 10 }, c: { idle_timeout_secs: 10 } });
    expect(idle).toMatchObject({ served: 60, failed: 0 });
    expect(idle.idleActions).toBeGreaterThan(0);

    const pinned = await simulate({ a: { pinned: true } });
    expect(pinned).toMatchObject({ served: 60, failed: 0 });
    expect(pinned.evictions["a"] ?? 0).toBe(0);
    expect((pinned.evictions["b"] ?? 0) + (pinned.evictions["c"] ?? 0)).toBeGreaterThan(0);

    const priority = await simulate({ a: { priority: 10 } });
    expect(priority).toMatchObject({ served: 60, failed: 0 });
    expect(priority.evictions["a"] ?? 0).toBeLessThan(plain.evictions["a"] ?? 0);
  });
});
