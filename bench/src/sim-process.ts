import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { spawnTracked, type Tracked } from "./children.js";
import { waitForHttp } from "./http-wait.js";

export interface SimProcess {
  url: string;
  port: number;
  tracked: Tracked;
}

/** Knobs as `--sim-<name> <value>` words, for the command line (and llmux's `extra_args`). */
export function knobArgs(knobs: Record<string, string | number>): string[] {
  return Object.entries(knobs).flatMap(([name, value]) => [`--sim-${name}`, String(value)]);
}

/** Start one vllm-sim as vLLM would be started (dev mode, sleep mode) and wait for /health. */
export async function startSim(options: { model: string; knobs: Record<string, string | number>; stateDir: string; eventLog: string }): Promise<SimProcess> {
  const port = await freePort();
  const tracked = spawnTracked(
    `vllm-sim ${options.model}`,
    process.execPath,
    [
      simBinPath,
      "serve",
      `sim/${options.model}`,
      "--port",
      String(port),
      "--served-model-name",
      options.model,
      "--enable-sleep-mode",
      ...knobArgs(options.knobs),
      "--sim-event-log",
      options.eventLog,
    ],
    { env: { ...process.env, VLLM_SERVER_DEV_MODE: "1", VLLM_SIM_STATE_DIR: options.stateDir } },
  );
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, {
      timeoutMs: 30_000,
      alive: () => tracked.child.exitCode === null,
      what: `vllm-sim ${options.model}`,
    });
  } catch (error) {
    await tracked.stop(2000);
    throw new Error(`${(error as Error).message}\n${tracked.tail()}`);
  }
  return { url: `http://127.0.0.1:${port}`, port, tracked };
}
