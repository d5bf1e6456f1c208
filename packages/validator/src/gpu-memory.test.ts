import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseNvidiaSmiMemory, readGpuMemory } from "./gpu-memory.js";

describe("parseNvidiaSmiMemory", () => {
  it("sums one line per GPU", () => {
    expect(parseNvidiaSmiMemory("45899\n")).toEqual({ perGpuMiB: [45899], totalMiB: 45899 });
    expect(parseNvidiaSmiMemory("100\n 250 \r\n\n")).toEqual({ perGpuMiB: [100, 250], totalMiB: 350 });
  });

  it("rejects output that is not one number per line", () => {
    expect(() => parseNvidiaSmiMemory("")).toThrow(/no GPU lines/);
    expect(() => parseNvidiaSmiMemory("45899 MiB\n")).toThrow(expect.objectContaining({ code: "LLMUX_ERR_NVIDIA_SMI_FAILED" }));
    expect(() => parseNvidiaSmiMemory("[N/A]\n")).toThrow(/unexpected line/);
  });
});

describe("readGpuMemory", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "validator-smi-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function script(name: string, body: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  it("runs the command with the memory query and parses its lines", async () => {
    const command = await script("smi", 'echo "$@" > "$(dirname "$0")/args"\nprintf "1200\\n800\\n"');
    await expect(readGpuMemory({ command })).resolves.toEqual({ perGpuMiB: [1200, 800], totalMiB: 2000 });
    const { readFile } = await import("node:fs/promises");
    expect((await readFile(join(dir, "args"), "utf8")).trim()).toBe("--query-gpu=memory.used --format=csv,noheader,nounits");
  });

  it("reports a missing command as LLMUX_ERR_NVIDIA_SMI_MISSING", async () => {
    await expect(readGpuMemory({ command: join(dir, "no-such-smi") })).rejects.toMatchObject({
      code: "LLMUX_ERR_NVIDIA_SMI_MISSING",
    });
  });

  it("reports a failing command with its stderr", async () => {
    const command = await script("smi-fail", 'echo "NVIDIA-SMI has failed because it couldn\'t communicate" >&2\nexit 9');
    await expect(readGpuMemory({ command })).rejects.toMatchObject({
      code: "LLMUX_ERR_NVIDIA_SMI_FAILED",
      message: expect.stringContaining("couldn't communicate"),
    });
  });

  it("passes the given environment to the command", async () => {
    const command = await script("smi-env", 'echo "$FAKE_USED"');
    await expect(readGpuMemory({ command, env: { ...process.env, FAKE_USED: "4242" } })).resolves.toMatchObject({ totalMiB: 4242 });
  });
});
