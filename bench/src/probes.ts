import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { makeTempDir, removeTempDir, spawnTracked } from "./children.js";
import { waitForHttp } from "./http-wait.js";
import { llmuxBinPath } from "@llmux/cli/testing";

/** Is the built llmux binary there and does it answer --version? The packages land while the bench is written. */
export function probeLlmux(): { ok: true } | { ok: false; note: string } {
  if (!existsSync(llmuxBinPath)) return { ok: false, note: "llmux is not built (packages/cli/dist/cli.js missing)" };
  try {
    const output = execFileSync(process.execPath, [llmuxBinPath, "--version"], { encoding: "utf8", timeout: 20_000 }).trim();
    if (!/\d+\.\d+\.\d+/.test(output)) return { ok: false, note: `llmux --version printed no version (${JSON.stringify(output.slice(0, 80))})` };
    return { ok: true };
  } catch (error) {
    return { ok: false, note: `llmux --version failed: ${(error as Error).message.split("\n")[0]}` };
  }
}

/** Does the built vllm-sim bind its port and answer /health? */
export async function probeSim(): Promise<{ ok: true } | { ok: false; note: string }> {
  if (!existsSync(simBinPath)) return { ok: false, note: "vllm-sim is not built (packages/vllm-sim/dist/cli.js missing)" };
  const port = await freePort();
  const stateDir = makeTempDir("probe");
  const sim = spawnTracked("vllm-sim probe", process.execPath, [simBinPath, "serve", "probe", "--port", String(port), "--sim-startup-ms", "0"], {
    env: { ...process.env, VLLM_SIM_STATE_DIR: stateDir, VLLM_SERVER_DEV_MODE: "1" },
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, { timeoutMs: 15_000, alive: () => sim.child.exitCode === null, what: "vllm-sim" });
    return { ok: true };
  } catch (error) {
    return { ok: false, note: `vllm-sim does not serve yet: ${(error as Error).message}` };
  } finally {
    await sim.stop(3000);
    removeTempDir(stateDir);
  }
}
