import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/parse-config.js";
import { finish, harness, track, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  if (h) await finish(h);
  h = undefined;
});

describe("Multiplexer: GPU budget", () => {
  it("switches on disjoint GPUs run at the same time; on a shared GPU they take turns", async () => {
    const config = parseConfig({
      policy: { sleep_level: 2, min_active_secs: 0 },
      models: {
        a: { model_path: "a", port: 8001, gpus: [0] },
        b: { model_path: "b", port: 8002, gpus: [1] },
        c: { model_path: "c", port: 8003, gpus: [0] },
      },
    });
    h = harness({ config });
    const a = track(h.mux.acquire("a"));
    const b = track(h.mux.acquire("b"));
    await h.clock.advance(5_100);
    // Both cold starts (5 s each) ran in parallel on GPUs 0 and 1.
    expect(a.value && b.value).toBeTruthy();
    a.value?.release();
    const c = track(h.mux.acquire("c"));
    await h.clock.advance(10_000);
    expect(c.value?.model).toBe("c");
    // c shares GPU 0 with a: a slept at level 2; b on GPU 1 was untouched.
    expect(h.mux.snapshot().models.map((m) => [m.name, m.state])).toEqual([
      ["a", "asleep"],
      ["b", "awake"],
      ["c", "awake"],
    ]);
    expect(h.engine("a").calls.find((call) => call.op === "sleep")).toMatchObject({ level: 2 });
    expect(h.mux.snapshot().gpus).toEqual([
      { index: 0, used: 0.9125, models: ["a", "c"] },
      { index: 1, used: 0.9, models: ["b"] },
    ]);
    b.value?.release();
    c.value?.release();
    const again = track(h.mux.acquire("a"));
    await h.clock.advance(10_000);
    expect(again.value?.model).toBe("a");
    expect(h.engine("a").calls.at(-1)).toMatchObject({ op: "wake", level: 2 });
    expect(h.mux.snapshot().models[0]?.costs.wakeMs[2]).toBe(2_000);
    again.value?.release();
  });

  it("a tensor-parallel model evicts the models on each of its GPUs", async () => {
    const config = parseConfig({
      policy: { sleep_level: 1 },
      models: {
        a: { model_path: "a", port: 8001, gpus: [0] },
        b: { model_path: "b", port: 8002, gpus: [1] },
        big: { model_path: "big", port: 8003, tensor_parallel_size: 2 },
      },
    });
    h = harness({ config });
    for (const model of ["a", "b"]) {
      const lease = track(h.mux.acquire(model));
      await h.clock.advance(6_000);
      lease.value?.release();
    }
    const big = track(h.mux.acquire("big"));
    await h.clock.advance(10_000);
    expect(big.value?.model).toBe("big");
    expect(h.mux.snapshot().switches.at(-1)).toMatchObject({ from: ["a", "b"], to: "big", result: "ok" });
    big.value?.release();
  });

  it("on() returns an unsubscribe function", async () => {
    h = harness();
    const seen: string[] = [];
    const off = h.mux.on((event) => seen.push(event.type));
    const lease = track(h.mux.acquire("a"));
    await h.clock.advance(6_000);
    off();
    lease.value?.release();
    expect(seen).toContain("admitted");
    expect(seen).not.toContain("released");
  });
});
