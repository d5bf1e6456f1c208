import { setTimeout as delay } from "node:timers/promises";
import type { VllmControlClient } from "./control-client.js";
import { ControlHttpError, SleepFailedError } from "./errors.js";

/** How often the running-requests gauge is read while waiting. */
const POLL_MS = 25;

/**
 * The sum of vLLM's `vllm:num_requests_running` gauge (one series per engine)
 * in a Prometheus text page; undefined when the page has none.
 */
export function runningRequests(metricsText: string): number | undefined {
  let total: number | undefined;
  for (const match of metricsText.matchAll(/^vllm:num_requests_running(?:\{[^}]*\})?\s+(\S+)/gm)) {
    const value = Number(match[1]);
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/**
 * Resolve once vLLM runs no request, read from its running-requests gauge:
 * `/sleep` with a request still running kills vLLM v0.13 (#28714), and a
 * drain ends when llmux's own connections close, a moment before vLLM notices
 * the abort. Rejects with `LLMUX_ERR_SLEEP_FAILED` when requests still run
 * after `waitMs` (the caller then stops the engine instead of crashing it).
 * An engine without the gauge is taken at its word.
 */
export async function confirmIdle(
  control: VllmControlClient,
  level: number,
  options: { waitMs: number; callTimeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  const deadline = performance.now() + options.waitMs;
  const call = { timeoutMs: options.callTimeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  for (;;) {
    let text: string;
    try {
      text = (await control.request("GET", "/metrics", call)).body;
    } catch (error) {
      if (error instanceof ControlHttpError && error.responseStatus === 404) return;
      throw error;
    }
    const running = runningRequests(text);
    if (running === undefined || running === 0) return;
    if (performance.now() >= deadline) {
      throw new SleepFailedError(level, `vLLM still runs ${running} request(s) after ${options.waitMs} ms; /sleep now would crash it (vLLM #28714)`);
    }
    await delay(POLL_MS, undefined, options.signal ? { signal: options.signal } : {});
  }
}
