import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simBinPath } from "@llmux/vllm-sim";

/** One demo model: its name, sleep level and what it pretends to be. */
interface DemoModel {
  name: string;
  sleepLevel: 1 | 2 | 3;
  modelPath: string;
}

export const DEMO_MODELS: readonly DemoModel[] = [
  { name: "llama-8b", sleepLevel: 1, modelPath: "meta-llama/Llama-3.1-8B-Instruct" },
  { name: "qwen-7b", sleepLevel: 2, modelPath: "Qwen/Qwen2.5-7B-Instruct" },
  { name: "mistral-7b", sleepLevel: 3, modelPath: "mistralai/Mistral-7B-Instruct-v0.3" },
];

/**
 * Simulator timings: short enough for a demo, long enough to watch each phase
 * in the log (real vLLM is 10–100× slower; see docs/vllm-api.md).
 */
export const DEMO_SIM_ENV: Readonly<Record<string, string>> = {
  VLLM_SIM_STARTUP_MS: "2500",
  VLLM_SIM_SLEEP1_MS: "1000",
  VLLM_SIM_WAKE1_MS: "300",
  VLLM_SIM_SLEEP2_MS: "300",
  VLLM_SIM_WAKE2_MS: "500",
  VLLM_SIM_RELOAD_MS: "500",
  VLLM_SIM_TTFT_MS: "150",
  VLLM_SIM_TOKENS_PER_SEC: "30",
  VLLM_SIM_GPU_TOTAL_MIB: "81920",
};

export interface DemoSetup {
  /** The config (raw JSON form, for core's parseConfig). */
  config: Record<string, unknown>;
  /** The simulator's shared GPU-memory folder; remove it with `cleanup()`. */
  stateDir: string;
  cleanup(): void;
}

/** True when nothing listens on `port` on any interface. */
export function isPortFree(port: number, host = "0.0.0.0"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function findFreePort(from: number, taken: Set<number>): Promise<number> {
  for (let port = from; port < from + 1000; port += 1) {
    if (!taken.has(port) && (await isPortFree(port, "127.0.0.1"))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${from} and ${from + 999}`);
}

/**
 * The demo's config: three simulated models (one per sleep level) on Unix
 * sockets, `vllm_command` = the installed `vllm-sim`, and a temporary
 * simulated GPU of its own so that nothing else's state leaks in.
 */
export async function buildDemoConfig(options: { port: number; metricsPort?: number | undefined }): Promise<DemoSetup> {
  const stateDir = mkdtempSync(join(tmpdir(), "llmux-demo-"));
  const taken = new Set<number>([options.port]);
  let metricsPort = options.metricsPort;
  if (metricsPort === undefined) {
    metricsPort = (await isPortFree(9090)) && options.port !== 9090 ? 9090 : await findFreePort(9091, taken);
  }
  taken.add(metricsPort);
  const models: Record<string, unknown> = {};
  for (const model of DEMO_MODELS) {
    models[model.name] = {
      model_path: model.modelPath,
      // No port: each engine gets a Unix socket in its own 0700 directory, so demos side by side never meet.
      sleep_level: model.sleepLevel,
      startup_timeout_secs: 60,
      env: { ...DEMO_SIM_ENV, VLLM_SIM_STATE_DIR: stateDir },
    };
  }
  const config = {
    port: options.port,
    host: "127.0.0.1",
    metrics_port: metricsPort,
    metrics_host: "127.0.0.1",
    vllm_command: simBinPath,
    models,
    policy: { request_timeout_secs: 120 },
    gpu: { memory_gib: 80 },
    proxy: { shutdown_grace_secs: 10 },
  };
  return { config, stateDir, cleanup: () => rmSync(stateDir, { recursive: true, force: true }) };
}

/** The ready-to-paste commands the demo prints once it listens. */
export function demoInstructions(url: string, metricsUrl: string | undefined): string {
  const lines = ["", `llmux demo is listening on ${url} with ${DEMO_MODELS.length} simulated models:`, ""];
  for (const model of DEMO_MODELS) {
    const how = model.sleepLevel === 3 ? "stopped when evicted (level 3)" : `sleeps at level ${model.sleepLevel}`;
    lines.push(`  ${model.name.padEnd(12)} ${how}`);
  }
  lines.push("", "Paste these in another terminal (watch this one for the switches):", "");
  for (const model of DEMO_MODELS) {
    const body = JSON.stringify({
      model: model.name,
      messages: [{ role: "user", content: "Say hello" }],
      max_tokens: 20,
    });
    lines.push(`curl -s ${url}/v1/chat/completions -H 'Content-Type: application/json' -d '${body}'`);
  }
  lines.push("");
  for (const model of DEMO_MODELS) {
    const body = JSON.stringify({
      model: model.name,
      messages: [{ role: "user", content: "Tell me a story" }],
      max_tokens: 60,
      stream: true,
    });
    lines.push(`curl -sN ${url}/v1/chat/completions -H 'Content-Type: application/json' -d '${body}'`);
  }
  lines.push("", `curl -s ${url}/v1/models`, `curl -s ${url}/llmux/status`, `curl -s ${url}/llmux/logs/${DEMO_MODELS[0]?.name ?? "llama-8b"}`);
  lines.push("", `Status page (live): ${url}/llmux/`);
  if (metricsUrl !== undefined) lines.push(`curl -s ${metricsUrl}/metrics`);
  lines.push("", "Ctrl-C stops llmux and every simulated vLLM.", "");
  return lines.join("\n");
}
