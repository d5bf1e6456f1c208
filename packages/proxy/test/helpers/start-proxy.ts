import { freePort } from "@llmux/vllm-sim/testing";
import type { LogBook } from "../../src/log-book.js";
import { type LlmuxProxy, createProxy } from "../../src/proxy.js";
import type { ProxyConfigView, ProxyMux } from "../../src/mux.js";
import type { RequestRecord } from "../../src/request-record.js";

export type ProxyOverrides = Partial<ProxyConfigView["proxy"]> & {
  request_timeout_secs?: number;
  metrics?: boolean;
  upstreamTimeoutMs?: number;
  /** `aliases` per model. */
  aliases?: Record<string, string[]>;
  logs?: LogBook;
};

export function proxyConfig(models: string[], overrides: ProxyOverrides = {}, metricsPort = 0): ProxyConfigView {
  const { request_timeout_secs, metrics: _metrics, upstreamTimeoutMs: _timeout, aliases, logs: _logs, ...proxy } = overrides;
  return {
    port: 0,
    host: "127.0.0.1",
    metrics_port: metricsPort,
    metrics_host: "127.0.0.1",
    models: Object.fromEntries(models.map((name) => [name, { model_path: `org/${name}`, port: 1, aliases: aliases?.[name] ?? [] }])),
    proxy: {
      max_body_bytes: 1024 * 1024,
      keepalive_interval_secs: 0.1,
      headers_timeout_secs: 30,
      idle_timeout_secs: 30,
      api_keys: [],
      admin_keys: [],
      shutdown_grace_secs: 5,
      ...proxy,
    },
    policy: { request_timeout_secs: request_timeout_secs ?? 30 },
  };
}

export interface StartedProxy {
  proxy: LlmuxProxy;
  url: string;
  metricsUrl: string | undefined;
  records: RequestRecord[];
  /** Resolves with the next `count` records (counting those already seen). */
  waitRecords(count: number): Promise<RequestRecord[]>;
}

export async function startProxy(mux: ProxyMux, models: string[], overrides: ProxyOverrides = {}): Promise<StartedProxy> {
  const metricsPort = overrides.metrics === true ? await freePort() : 0;
  const proxy = createProxy({
    mux,
    config: proxyConfig(models, overrides, metricsPort),
    ...(overrides.upstreamTimeoutMs === undefined ? {} : { upstreamTimeoutMs: overrides.upstreamTimeoutMs }),
    ...(overrides.logs === undefined ? {} : { logs: overrides.logs }),
  });
  const records: RequestRecord[] = [];
  proxy.on("request", (record) => records.push(record));
  const { url, metricsUrl } = await proxy.listen();
  return {
    proxy,
    url,
    metricsUrl,
    records,
    async waitRecords(count) {
      const deadline = Date.now() + 20_000;
      while (records.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} request records, saw ${records.length}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return records;
    },
  };
}

/** Poll `predicate` until true (generous deadline for a loaded machine). */
export async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
