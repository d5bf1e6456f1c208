import { type Server, createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@llmux/core";
import { Registry } from "prom-client";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { engineLoadReader } from "../src/engine-load.js";
import { type GatewayModelView, loraLabels, maxAwake, registerGatewayMetrics } from "../src/gateway-metrics.js";
import { FORWARDED_ROUTES, matchRoute } from "../src/routes.js";
import { rawRequest } from "./helpers/http.js";
import { useSimStack } from "./helpers/sim-stack.js";

function view(name: string, fields: Partial<GatewayModelView> = {}): GatewayModelView {
  return { name, state: "asleep", queueDepth: 0, inFlight: 0, gpus: [0], gpuMemoryUtilization: 0.9, ...fields };
}

/** One sample line's labels and value, e.g. `vllm:lora_requests_info{...} 1.7e9`. */
function series(text: string, name: string): { labels: string; value: number }[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const labels = line.startsWith(`${name}{`) ? line.slice(name.length + 1, line.lastIndexOf("}")) : "";
      return { labels, value: Number(line.slice(line.lastIndexOf(" ") + 1)) };
    });
}

describe("the protocol's LoRA labels", () => {
  it("lists awake models as running, queued-for models as waiting, and how many fit at once", () => {
    const labels = loraLabels([
      view("b", { state: "awake", queueDepth: 3 }),
      view("a", { state: "awake" }),
      view("c", { state: "waking", queueDepth: 2 }),
      view("d", { state: "asleep", queueDepth: 1 }),
      view("e", { state: "stopped" }),
    ]);
    // An awake model with a queue stays only in running: the picker would count it twice against max_lora.
    expect(labels).toEqual({ max_lora: "1", running_lora_adapters: "a,b", waiting_lora_adapters: "c,d" });
  });

  it("counts the models that fit in the budget together, per GPU, smallest first", () => {
    expect(maxAwake([view("a"), view("b"), view("c")])).toBe(1);
    expect(maxAwake([view("a", { gpuMemoryUtilization: 0.45 }), view("b", { gpuMemoryUtilization: 0.45 }), view("c", { gpuMemoryUtilization: 0.3 })])).toBe(2);
    expect(maxAwake([view("a", { gpus: [0] }), view("b", { gpus: [1] }), view("tp", { gpus: [0, 1] })])).toBe(2);
    expect(
      maxAwake([
        view("a", { gpuMemoryUtilization: 0.25 }),
        view("b", { gpuMemoryUtilization: 0.25 }),
        view("c", { gpuMemoryUtilization: 0.25 }),
        view("d", { gpuMemoryUtilization: 0.25 }),
      ]),
    ).toBe(4);
  });
});

describe("gateway metrics from engines", () => {
  let engine: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (engine ? engine.close(() => resolve()) : resolve()));
    engine = undefined;
  });

  it("adds what the awake engine reports to llmux's own queue, and takes its KV-cache usage", async () => {
    let scrapes = 0;
    engine = createServer((_req, res) => {
      scrapes += 1;
      res.end(
        [
          "# TYPE vllm:num_requests_waiting gauge",
          'vllm:num_requests_waiting{engine="0",model_name="a"} 3',
          "# TYPE vllm:kv_cache_usage_perc gauge",
          'vllm:kv_cache_usage_perc{engine="0",model_name="a"} 0.25',
        ].join("\n"),
      );
    });
    await new Promise<void>((resolve) => engine?.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
    const registry = new Registry();
    let now = 1_700_000_000_000;
    const models = [view("a", { state: "awake", queueDepth: 2, inFlight: 5 }), view("b", { queueDepth: 1 })];
    registerGatewayMetrics(registry, {
      models: () => models,
      engineLoad: engineLoadReader({ engine: (model) => (model === "a" ? { url } : undefined), maxAgeMs: 60_000 }),
      now: () => now,
    });
    const text = await registry.metrics();
    expect(series(text, "vllm:num_requests_waiting")).toEqual([{ labels: "", value: 2 + 1 + 3 }]);
    expect(series(text, "vllm:num_requests_running")).toEqual([{ labels: "", value: 5 - 3 }]);
    expect(series(text, "vllm:kv_cache_usage_perc")).toEqual([{ labels: "", value: 0.25 }]);
    expect(text).toContain("# TYPE vllm:lora_requests_info gauge");
    expect(series(text, "vllm:lora_requests_info")).toEqual([
      { labels: 'max_lora="1",running_lora_adapters="a",waiting_lora_adapters="b"', value: 1_700_000_000 },
    ]);
    // One engine read serves every family of a scrape, and a fresh one is reused.
    expect(scrapes).toBe(1);

    now += 5000;
    await registry.metrics();
    expect(scrapes).toBe(1);
    expect(series(await registry.metrics(), "vllm:lora_requests_info")[0]?.value).toBe(1_700_000_000);
    // A change of the labels is a new, later series; the old one is gone.
    models[1] = view("b", { state: "awake" });
    models[0] = view("a");
    expect(series(await registry.metrics(), "vllm:lora_requests_info")).toEqual([
      { labels: 'max_lora="1",running_lora_adapters="b",waiting_lora_adapters=""', value: 1_700_000_005 },
    ]);
  });

  it("counts an engine that does not answer as empty", async () => {
    const read = engineLoadReader({ engine: () => ({ url: "http://127.0.0.1:1" }), timeoutMs: 500 });
    expect(await read(["a"])).toEqual({ waiting: 0, kvCacheUsage: 0 });
  });

  it("reads an engine on a Unix socket through that socket's dispatcher", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llmux-load-"));
    const socketPath = join(dir, "vllm.sock");
    const socketEngine = createServer((_req, res) => res.end('vllm:num_requests_waiting{engine="0"} 4\nvllm:kv_cache_usage_perc 0.5\n'));
    await new Promise<void>((resolve) => socketEngine.listen(socketPath, resolve));
    const dispatcher = new Agent({ connect: { socketPath } });
    try {
      const read = engineLoadReader({ engine: () => ({ url: "http://localhost", dispatcher }), timeoutMs: 2000 });
      expect(await read(["a"])).toEqual({ waiting: 4, kvCacheUsage: 0.5 });
    } finally {
      await dispatcher.close();
      await new Promise((resolve) => socketEngine.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("metrics_path on the proxy's port", () => {
  it("is refused at load time where the proxy already answers, and accepted where it does not", () => {
    const base = { models: { a: { model_path: "x", port: 8001 } }, metrics_on_proxy_port: true };
    const local = [
      "/health",
      "/v1/models",
      "/models",
      "/llmux",
      "/llmux/",
      "/llmux/app.js",
      "/llmux/status",
      "/llmux/events",
      "/llmux/logs",
      "/llmux/logs/a",
      "/llmux/models/a/sleep",
    ];
    const taken = [...FORWARDED_ROUTES.keys(), ...local];
    // The list above is every path the proxy answers: each one matches a route.
    for (const path of local) expect(() => matchRoute(path.endsWith("/sleep") ? "POST" : "GET", path), path).not.toThrow();
    for (const path of taken) {
      expect(() => parseConfig({ ...base, metrics_path: path }), path).toThrow(
        /metrics_path: expected (a path the proxy does not already serve|an absolute path)/,
      );
    }
    for (const path of ["/metrics", "/pool/metrics"]) {
      expect(parseConfig({ ...base, metrics_path: path }).metrics_path).toBe(path);
      expect(() => matchRoute("GET", path)).toThrow(/not found/i);
    }
    expect(() => parseConfig({ ...base, metrics_path: "metrics" })).toThrow(/metrics_path: expected an absolute path/);
  });
});

describe("a pod's scrape with real engines", () => {
  const startStack = useSimStack();

  it("shows the awake model as running and the model a request waits for as waiting, on both listeners", async () => {
    const stack = await startStack(["a", "b"], {
      // Slow generation: a request for `b` waits while `a` drains.
      sim: { a: { VLLM_SIM_TOKENS_PER_SEC: "20" }, b: { VLLM_SIM_TOKENS_PER_SEC: "20" } },
      config: { metrics_on_proxy_port: true, metrics_path: "/pool-metrics" },
    });
    const scrape = async (base: string): Promise<string> => {
      const response = await rawRequest(base, { path: "/pool-metrics" });
      expect(response.status).toBe(200);
      return response.body;
    };
    const lora = async (): Promise<string | undefined> => series(await scrape(stack.url), "vllm:lora_requests_info")[0]?.labels;
    expect(await lora()).toBe('max_lora="1",running_lora_adapters="",waiting_lora_adapters=""');
    expect((await rawRequest(stack.metricsUrl, { path: "/metrics" })).status).toBe(404);

    const ask = (model: string, tokens: number) =>
      rawRequest(stack.url, {
        method: "POST",
        path: "/v1/completions",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, prompt: "x", max_tokens: tokens }),
      });
    expect((await ask("a", 1)).status).toBe(200);
    expect(await lora()).toBe('max_lora="1",running_lora_adapters="a",waiting_lora_adapters=""');

    const long = ask("a", 40);
    await waitFor(async () => series(await scrape(stack.url), "vllm:num_requests_running")[0]?.value === 1);
    const other = ask("b", 1);
    await waitFor(async () => (await lora())?.includes('waiting_lora_adapters="b"') === true);
    const during = await scrape(stack.metricsUrl);
    expect(series(during, "vllm:num_requests_waiting")[0]?.value).toBeGreaterThanOrEqual(1);
    expect((await long).status).toBe(200);
    expect((await other).status).toBe(200);
    expect(await lora()).toBe('max_lora="1",running_lora_adapters="b",waiting_lora_adapters=""');
    // Scrapes are not requests: a picker scraping every 50 ms would swamp the request metrics and logs.
    expect(stack.records.map((record) => record.path)).toEqual(["/v1/completions", "/v1/completions", "/v1/completions"]);
    expect(series(await scrape(stack.url), "llmux_requests_total").map((one) => one.labels)).toEqual(['model="a",status="200"', 'model="b",status="200"']);
  }, 60_000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
