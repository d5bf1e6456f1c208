import { freePort, simBinPath } from "@llmux/vllm-sim/testing";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningLlmux, llmuxAvailable, startLlmux } from "../llmux.js";
import { knobArgs } from "../sim-process.js";
import { ScrapeError, extractPodMetrics, parseExposition } from "./picker-rules.js";

const CORE = [
  "# TYPE vllm:num_requests_waiting gauge",
  "vllm:num_requests_waiting 4",
  "# TYPE vllm:num_requests_running gauge",
  "vllm:num_requests_running 2",
  "# TYPE vllm:kv_cache_usage_perc gauge",
  "vllm:kv_cache_usage_perc 0.5",
];

describe("the picker's rules on the protocol's documented examples", () => {
  it("reads the LoRA labels of the protocol's example (comma-separated, spaces trimmed) from the latest series", () => {
    const text = [
      ...CORE,
      "# HELP vllm:lora_requests_info Running stats on lora requests.",
      "# TYPE vllm:lora_requests_info gauge",
      'vllm:lora_requests_info{max_lora="8",running_lora_adapters="adapter1",waiting_lora_adapters=""} 1.6e+09',
      'vllm:lora_requests_info{max_lora="8",running_lora_adapters="adapter1, adapter2",waiting_lora_adapters="adapter1, adapter2"} 1.7e+09',
      'vllm:lora_requests_info{max_lora="8",running_lora_adapters="",waiting_lora_adapters=""} 1.65e+09',
    ].join("\n");
    const metrics = extractPodMetrics(text);
    expect([...metrics.activeModels].sort()).toEqual(["adapter1", "adapter2"]);
    expect([...metrics.waitingModels].sort()).toEqual(["adapter1", "adapter2"]);
    expect(metrics.maxActiveModels).toBe(8);
    expect(metrics.waitingQueueSize).toBe(4);
    expect(metrics.runningRequestsSize).toBe(2);
    expect(metrics.kvCacheUsagePercent).toBe(0.5);
  });

  it("reads a family that is not a gauge or counter as 0, and refuses a missing family or a max_lora that is not an integer", () => {
    const untyped = ["vllm:num_requests_waiting 7", ...CORE.slice(2), "# TYPE vllm:lora_requests_info gauge", 'vllm:lora_requests_info{max_lora="1"} 1'].join(
      "\n",
    );
    expect(extractPodMetrics(untyped).waitingQueueSize).toBe(0);
    expect(() => extractPodMetrics(CORE.join("\n"))).toThrow(ScrapeError);
    const badMax = [...CORE, "# TYPE vllm:lora_requests_info gauge", 'vllm:lora_requests_info{max_lora="two"} 1'].join("\n");
    expect(() => extractPodMetrics(badMax)).toThrow(/max_lora/);
  });

  it("parses escapes, timestamps, special values and histogram series like the text format", () => {
    const families = parseExposition(
      ["# TYPE a gauge", 'a{l="x\\"y\\\\z\\n"} NaN 1700', "# TYPE h histogram", 'h_bucket{le="+Inf"} 3', "h_sum 1.5", "h_count 3", "b -Inf"].join("\n"),
    );
    expect(families.get("a")?.samples[0]?.labels.l).toBe('x"y\\z\n');
    expect(families.get("a")?.samples[0]?.timestampMs).toBe(1700);
    expect(families.get("h")?.samples).toHaveLength(3);
    expect(families.get("b")?.samples[0]?.value).toBe(Number.NEGATIVE_INFINITY);
    expect(() => parseExposition('a{l="x} 1')).toThrow(ScrapeError);
  });
});

describe.skipIf(!llmuxAvailable())("the picker's rules on a real llmux pod", () => {
  let pod: RunningLlmux | undefined;
  afterEach(async () => {
    await pod?.stop();
    pod = undefined;
  });

  it("reads the whole scrape of the proxy port and sees the awake model, the budget and the queue", async () => {
    pod = await startLlmux({
      port: await freePort(),
      vllmCommand: simBinPath,
      models: { a: { model_path: "sim/a", port: await freePort(), sleep_level: 1 }, b: { model_path: "sim/b", port: await freePort(), sleep_level: 1 } },
      config: { metrics_on_proxy_port: true },
    });
    const scrape = async (): Promise<string> => {
      const response = await request(`${pod?.url}/metrics`);
      expect(response.statusCode).toBe(200);
      return response.body.text();
    };
    const before = extractPodMetrics(await scrape());
    expect(before).toMatchObject({ waitingQueueSize: 0, runningRequestsSize: 0, kvCacheUsagePercent: 0, maxActiveModels: 1 });
    expect(before.activeModels.size).toBe(0);

    const response = await request(`${pod.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "b", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    });
    await response.body.text();
    expect(response.statusCode).toBe(200);
    const text = await scrape();
    // Every line of llmux's scrape (its own families, Node's, the protocol's) parses.
    expect(parseExposition(text).get("llmux_requests_total")?.type).toBe("counter");
    const after = extractPodMetrics(text);
    expect([...after.activeModels]).toEqual(["b"]);
    expect(after.waitingModels.size).toBe(0);
    expect(after.maxActiveModels).toBe(1);
  }, 60_000);

  it("shows the load scorers a pod that is busy and waited for: the generation running, the request for the next model waiting, that model listed as waited for", async () => {
    // 60 tokens at 20 tokens/s keep `a` busy for 3 s; the request for `b` waits for its drain.
    const slow = knobArgs({ "tokens-per-sec": 20 });
    pod = await startLlmux({
      port: await freePort(),
      vllmCommand: simBinPath,
      models: {
        a: { model_path: "sim/a", port: await freePort(), sleep_level: 1, extra_args: slow },
        b: { model_path: "sim/b", port: await freePort(), sleep_level: 1, extra_args: slow },
      },
      config: { metrics_on_proxy_port: true },
    });
    const url = pod.url;
    const ask = async (model: string, tokens: number): Promise<number> => {
      const response = await request(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: tokens }),
      });
      await response.body.text();
      return response.statusCode;
    };
    const scrape = async () => extractPodMetrics(await (await request(`${url}/metrics`)).body.text());
    const until = async (check: (metrics: Awaited<ReturnType<typeof scrape>>) => boolean) => {
      for (let tries = 0; tries < 100; tries++) {
        const metrics = await scrape();
        if (check(metrics)) return metrics;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error("the scrape never showed the expected state");
    };
    expect(await ask("a", 1)).toBe(200);
    const long = ask("a", 60);
    const running = await until((metrics) => metrics.runningRequestsSize === 1);
    expect([...running.activeModels]).toEqual(["a"]);
    expect(running.waitingQueueSize).toBe(0);
    const next = ask("b", 1);
    const waited = await until((metrics) => metrics.waitingModels.has("b"));
    expect(waited.waitingQueueSize).toBe(1);
    expect(waited.runningRequestsSize).toBe(1);
    // Full: one model awake (or draining) and one waited for, with room for one.
    expect(waited.activeModels.size + waited.waitingModels.size).toBeGreaterThanOrEqual(waited.maxActiveModels);
    expect(await long).toBe(200);
    expect(await next).toBe(200);
    const after = await until((metrics) => metrics.activeModels.has("b"));
    expect(after).toMatchObject({ waitingQueueSize: 0, runningRequestsSize: 0 });
    expect(after.waitingModels.size).toBe(0);
  }, 60_000);
});
