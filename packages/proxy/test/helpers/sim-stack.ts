import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LlmuxConfig, Multiplexer, parseConfig } from "@llmux/core";
import { VllmServer, serverOptionsFromConfig } from "@llmux/vllm-client";
import { freePort, readSimEvents, simBinPath, type SimEvent } from "@llmux/vllm-sim/testing";
import { afterAll, afterEach } from "vitest";
import { type LlmuxProxy, createProxy } from "../../src/proxy.js";
import type { RequestRecord } from "../../src/request-record.js";

export interface SimStack {
  mux: Multiplexer;
  proxy: LlmuxProxy;
  config: LlmuxConfig;
  url: string;
  metricsUrl: string;
  records: RequestRecord[];
  /** Base URL of a model's simulator (valid once it has started). */
  simUrl(model: string): string;
  events(model: string): SimEvent[];
  /** Stop the proxy, the multiplexer (and with it every simulator) and remove the temp dir. */
  close(): Promise<void>;
}

export interface SimStackOptions {
  /** Environment of each model's simulator, by model. */
  sim?: Record<string, Record<string, string>>;
  proxy?: Record<string, unknown>;
  policy?: Record<string, unknown>;
  aliases?: Record<string, string[]>;
  /** More fields for every model. */
  model?: Record<string, unknown>;
  /** More fields for one model, by model (over `model`). */
  models?: Record<string, Record<string, unknown>>;
  /** More top-level config fields. */
  config?: Record<string, unknown>;
}

/**
 * The real thing at small scale: a real Multiplexer driving VllmServer
 * engines that spawn `vllm-sim` processes (one simulated GPU in a temp state
 * dir of this stack's own), behind a real proxy.
 */
export async function startSimStack(models: string[], options: SimStackOptions = {}): Promise<SimStack> {
  const dir = await mkdtemp(join(tmpdir(), "llmux-proxy-test-"));
  const ports = new Map<string, number>();
  for (const model of models) ports.set(model, await freePort());
  const parsed = parseConfig({
    port: 3000,
    metrics_port: 9090,
    host: "127.0.0.1",
    metrics_host: "127.0.0.1",
    vllm_command: simBinPath,
    models: Object.fromEntries(
      models.map((model) => [
        model,
        {
          model_path: `sim/${model}`,
          port: ports.get(model),
          aliases: options.aliases?.[model] ?? [],
          sleep_level: 1,
          env: {
            VLLM_SIM_STATE_DIR: join(dir, "gpu"),
            VLLM_SIM_EVENT_LOG: join(dir, `${model}.events.jsonl`),
            VLLM_SIM_CONTROL: "1",
            ...options.sim?.[model],
          },
          ...options.model,
          ...options.models?.[model],
        },
      ]),
    ),
    policy: { request_timeout_secs: 60, stop_grace_secs: 2, min_active_secs: 0, ...options.policy },
    proxy: { keepalive_interval_secs: 0.2, shutdown_grace_secs: 2, ...options.proxy },
    ...options.config,
  });
  // The schema wants real ports; the test binds free ones.
  const config: LlmuxConfig = { ...parsed, port: 0, metrics_port: await freePort() };
  const mux = new Multiplexer({
    config,
    engineFactory: (name, model, whole) => new VllmServer({ ...serverOptionsFromConfig(name, model, whole), startupTimeoutMs: 30_000 }),
  });
  const proxy = createProxy({ mux, config });
  const records: RequestRecord[] = [];
  proxy.on("request", (record) => records.push(record));
  let listening: { url: string; metricsUrl?: string };
  try {
    listening = await proxy.listen();
  } catch (error) {
    await mux.destroy();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    mux,
    proxy,
    config,
    url: listening.url,
    metricsUrl: listening.metricsUrl ?? "",
    records,
    simUrl: (model) => `http://127.0.0.1:${ports.get(model)}`,
    events: (model) => readSimEvents(join(dir, `${model}.events.jsonl`)),
    async close() {
      try {
        await proxy.destroy();
        await mux.destroy();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * `startSimStack` for a test file: what the returned function starts is
 * closed after each test (`"test"`), or after the file's tests for a stack
 * they share (`"file"`, started in `beforeAll`).
 */
export function useSimStack(scope: "test" | "file" = "test"): (models: string[], options?: SimStackOptions) => Promise<SimStack> {
  const running: SimStack[] = [];
  const closeAll = async (): Promise<void> => {
    for (const stack of running.splice(0)) await stack.close();
  };
  if (scope === "test") afterEach(closeAll, 60_000);
  else afterAll(closeAll, 60_000);
  return async (models, options) => {
    const stack = await startSimStack(models, options);
    running.push(stack);
    return stack;
  };
}
