import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runSmi } from "../src/gpu/smi-query.js";
import { resolveKnobs } from "../src/serve/knobs.js";
import { simSmiBinPath } from "../src/testing/index.js";
import { chatBody, postJson, useSims } from "./helpers.js";

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), "vllm-sim-gpu-test-"));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

function smi(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [simSmiBinPath, ...args], { env: { ...process.env, VLLM_SIM_STATE_DIR: stateDir, ...env }, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const query = ["--query-gpu=memory.used,memory.total,name,index", "--format=csv,noheader,nounits"];
/** What vllm-sim-smi would print for memory.used, computed in-process (the bin itself is tested above) to keep the suite fast. */
const usedMib = (env: Record<string, string> = {}): number[] =>
  runSmi(["--query-gpu=memory.used", "--format=csv,noheader,nounits"], resolveKnobs({}, { VLLM_SIM_STATE_DIR: stateDir, ...env }))
    .stdout.trim()
    .split("\n")
    .map(Number);

describe("simulated GPU memory and vllm-sim-smi", () => {
  const sim = useSims();

  it("prints one line per GPU in the order asked, with and without header and units", () => {
    expect(smi(query)).toEqual({ code: 0, stdout: "0, 81559, NVIDIA H100 80GB HBM3, 0\n", stderr: "" });
    const two = smi(["--query-gpu=index,memory.total", "--format=csv"], {
      VLLM_SIM_GPU_COUNT: "2",
      VLLM_SIM_GPU_TOTAL_MIB: "40000",
      VLLM_SIM_GPU_NAME: "Sim A100",
    });
    expect(two.stdout).toBe("index, memory.total [MiB]\n0, 40000 MiB\n1, 40000 MiB\n");
    expect(smi(["--query-gpu=name", "--format=csv,noheader"], { VLLM_SIM_GPU_NAME: "Sim A100" }).stdout).toBe("Sim A100\n");
    expect(smi(["--query-gpu=index,memory.free", "--format=csv,noheader,nounits", "-i", "1"], { VLLM_SIM_GPU_COUNT: "2" }).stdout).toBe("1, 81559\n");
  });

  it("rejects unknown options and fields like nvidia-smi, exiting non-zero", () => {
    const option = smi(["--bogus"]);
    expect(option.code).not.toBe(0);
    expect(option.stderr).toContain("Invalid combination of input arguments");
    const field = smi(["--query-gpu=memory.bogus", "--format=csv"]);
    expect(field.code).not.toBe(0);
    expect(field.stderr).toContain('Field "memory.bogus" is not a valid field to query.');
  });

  it("holds the fraction awake, the context asleep, and the fraction again after waking", async () => {
    const s = await sim({ model: "m", stateDir });
    expect(smi(query).stdout).toBe(`${Math.round(0.9 * 81559)}, 81559, NVIDIA H100 80GB HBM3, 0\n`);
    expect(usedMib()).toEqual([Math.round(0.9 * 81559)]);
    await fetch(`${s.url}/sleep?level=1`, { method: "POST" });
    expect(usedMib()).toEqual([1000]);
    await fetch(`${s.url}/wake_up?tags=weights`, { method: "POST" });
    expect(usedMib()).toEqual([16000]);
    await fetch(`${s.url}/wake_up`, { method: "POST" });
    expect(usedMib()).toEqual([Math.round(0.9 * 81559)]);
    await fetch(`${s.url}/sleep?level=2`, { method: "POST" });
    expect(usedMib()).toEqual([1000]);
  });

  it("frees nothing with broken-sleep or without --enable-sleep-mode", async () => {
    const broken = await sim({ model: "m", stateDir, knobs: { "broken-sleep": 1 }, args: ["--gpu-memory-utilization", "0.45"] });
    const noMode = await sim({ model: "n", stateDir, enableSleepMode: false, args: ["--gpu-memory-utilization", "0.45"] });
    const awake = usedMib()[0];
    for (const s of [broken, noMode]) {
      expect((await fetch(`${s.url}/sleep?level=1`, { method: "POST" })).status).toBe(200);
      expect(await (await fetch(`${s.url}/is_sleeping`)).json()).toEqual({ is_sleeping: true });
    }
    expect(usedMib()[0]).toBe(awake);
  });

  it("refuses to start when the fraction is not free, and lets two small servers share a GPU", async () => {
    const first = await sim({ model: "a", stateDir });
    const second = await sim({ model: "b", stateDir, waitReady: false });
    expect((await second.exited).code).toBe(1);
    expect(second.logs().join("\n")).toMatch(/Free memory on device .* on startup is less than desired GPU memory utilization/);
    await first.stop();
    const small = await Promise.all([
      sim({ model: "c", stateDir, args: ["--gpu-memory-utilization", "0.4"] }),
      sim({ model: "d", stateDir, args: ["--gpu-memory-utilization", "0.4"] }),
    ]);
    expect(usedMib()).toEqual([2 * Math.round(0.4 * 81559)]);
    expect(small).toHaveLength(2);
  });

  it("never counts the record of a killed process", async () => {
    const killed = await sim({ model: "a", stateDir });
    killed.child.kill("SIGKILL");
    await killed.exited;
    expect(usedMib()).toEqual([0]);
    await sim({ model: "b", stateDir });
    expect(usedMib()).toEqual([Math.round(0.9 * 81559)]);
  });

  it("dies like a CUDA OOM when a wake does not fit", async () => {
    const a = await sim({ model: "a", stateDir });
    await fetch(`${a.url}/sleep?level=1`, { method: "POST" });
    await sim({ model: "b", stateDir });
    const wake = await fetch(`${a.url}/wake_up`, { method: "POST" });
    expect(wake.status).toBe(500);
    expect((await a.exited).code).toBe(1);
    expect(a.logs().join("\n")).toContain("CUDA out of memory");
    expect(a.events().find((event) => event.event === "crash")?.reason).toBe("oom_on_wake");
  });

  it("places memory on CUDA_VISIBLE_DEVICES or on 0..tp-1", async () => {
    const env = { VLLM_SIM_GPU_COUNT: "3" };
    await sim({ model: "a", stateDir, knobs: { "gpu-count": 3 }, env: { CUDA_VISIBLE_DEVICES: "2" }, args: ["--gpu-memory-utilization", "0.5"] });
    await sim({ model: "b", stateDir, knobs: { "gpu-count": 3 }, args: ["--tensor-parallel-size", "2", "--gpu-memory-utilization", "0.3"] });
    const half = Math.round(0.5 * 81559);
    const third = Math.round(0.3 * 81559);
    expect(usedMib(env)).toEqual([third, third, half]);
    const s = await sim({ model: "c", stateDir, knobs: { "gpu-count": 3 }, args: ["--gpu-memory-utilization", "0.2"] });
    expect((await postJson(`${s.url}/v1/chat/completions`, chatBody("c", "x"))).status).toBe(200);
  });
});

describe("weights size", () => {
  const sim = useSims();

  it("caps the default weights at half a small fraction, and fails start-up when explicit weights leave no KV cache", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vllm-sim-weights-"));
    try {
      const small = await sim({ model: "s", stateDir: dir, args: ["--gpu-memory-utilization", "0.1"] });
      expect((await small.control.stats()).model).toBe("s");
      const tooBig = await sim({ model: "t", stateDir: dir, knobs: { "weights-mib": 20_000 }, args: ["--gpu-memory-utilization", "0.2"], waitReady: false });
      expect((await tooBig.exited).code).toBe(1);
      expect(tooBig.logs().join("\n")).toContain("No available memory for the cache blocks");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
