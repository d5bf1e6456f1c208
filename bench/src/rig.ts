import { get } from "node:http";
import { request } from "undici";
import { spawnTracked, type Tracked } from "./children.js";
import type { BenchContext } from "./context.js";
import { waitForHttp } from "./http-wait.js";
import { startLlmux, type RunningLlmux } from "./llmux.js";
import { startNginx, type RunningNginx } from "./nginx.js";
import { waitForConnect } from "./net-wait.js";
import { bareProxyBinPath, fastUpstreamBinPath } from "./paths.js";
import { freePort } from "@llmux/vllm-sim/testing";

export const MODEL = "bench";

/** Which process does the proxying for a column, and whether its children count (nginx workers). */
export function proxyProcess(rig: ProxyRig, column: string): { pid?: number; tree: boolean } {
  if (column === "nginx" && rig.nginx) return { pid: rig.nginx.pid, tree: true };
  if (column === "llmux" && rig.llmux) return { pid: rig.llmux.pid, tree: false };
  if (column === "node-bare" && rig.bare) return { pid: rig.bare.pid, tree: false };
  return { tree: false };
}

/**
 * One upstream with the three ways to reach it: direct, through nginx, through
 * llmux. When llmux is built, llmux itself starts the upstream (its
 * `vllm_command` is the bench upstream) and direct and nginx then use that same
 * process on its port, so all three columns hit one upstream.
 */
export interface ProxyRig {
  directUrl: string;
  nginx?: RunningNginx;
  llmux?: RunningLlmux;
  /** The bare node:http + undici pass-through (`src/upstream/bare-proxy.ts`). */
  bare?: Tracked;
  /** Base URL per column name. */
  columns: Record<string, string>;
  stop(): Promise<void>;
}

export async function chat(url: string, body: object): Promise<{ status: number; text: string }> {
  const response = await request(`${url}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  return { status: response.statusCode, text: await response.body.text() };
}

/**
 * The bench upstream's counters (`GET /_bench/stats`), asked on a connection of
 * its own (no agent), so that each call adds exactly one to `connections`.
 */
export function upstreamStats(directUrl: string): Promise<{ open_streams: number; connections: number }> {
  return new Promise((resolve, reject) => {
    const req = get(`${directUrl}/_bench/stats`, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(parts).toString("utf8")) as { open_streams: number; connections: number });
        } catch (error) {
          reject(error as Error);
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

export async function startProxyRig(
  context: BenchContext,
  options: { nodeArgs?: string[]; bare?: boolean; config?: Record<string, unknown> } = {},
): Promise<ProxyRig> {
  const upstreamPort = await freePort();
  let upstream: Tracked | undefined;
  let llmux: RunningLlmux | undefined;
  let nginx: RunningNginx | undefined;
  let bare: Tracked | undefined;
  let barePort = 0;
  const stop = async (): Promise<void> => {
    await bare?.stop(3000);
    await nginx?.stop();
    await llmux?.stop();
    await upstream?.stop(3000);
  };
  try {
    if (context.llmux) {
      llmux = await startLlmux({
        port: await freePort(),
        vllmCommand: fastUpstreamBinPath,
        // The bench upstream has no batch limit; --max-num-seqs lifts llmux's admission limit (256 by
        // default) so that the memory scenario's 1,000 streams all reach it, as they would a vLLM
        // started with that flag.
        models: { [MODEL]: { model_path: "bench/upstream", port: upstreamPort, sleep_level: 1, extra_args: ["--max-num-seqs", "1024"] } },
        ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
        ...(options.config ? { config: options.config } : {}),
      });
      // The first request makes llmux start the upstream (a cold start).
      const first = await chat(llmux.url, { model: MODEL, messages: [{ role: "user", content: "hi" }], max_tokens: 1 });
      if (first.status !== 200) throw new Error(`llmux answered ${first.status} to the warm-up request: ${first.text}\n${llmux.tail()}`);
    } else {
      upstream = spawnTracked("upstream", process.execPath, [
        fastUpstreamBinPath,
        "serve",
        "bench/upstream",
        "--port",
        String(upstreamPort),
        "--served-model-name",
        MODEL,
      ]);
      const started = upstream;
      await waitForHttp(`http://127.0.0.1:${upstreamPort}/health`, { alive: () => started.child.exitCode === null, what: "bench upstream" });
    }
    if (context.nginxPath) {
      nginx = await startNginx({ path: context.nginxPath, listenPort: await freePort(), upstreamPort, workers: context.options.nginxWorkers });
    }
    if (options.bare) {
      barePort = await freePort();
      const started = spawnTracked("bare proxy", process.execPath, [bareProxyBinPath, String(barePort), `http://127.0.0.1:${upstreamPort}`]);
      bare = started;
      await waitForConnect(barePort, { alive: () => started.child.exitCode === null, what: "bare proxy" });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const directUrl = `http://127.0.0.1:${upstreamPort}`;
  const columns: Record<string, string> = { direct: directUrl };
  if (nginx) columns.nginx = nginx.url;
  if (bare) columns["node-bare"] = `http://127.0.0.1:${barePort}`;
  if (llmux) columns.llmux = llmux.url;
  return { directUrl, ...(nginx ? { nginx } : {}), ...(llmux ? { llmux } : {}), ...(bare ? { bare } : {}), columns, stop };
}
