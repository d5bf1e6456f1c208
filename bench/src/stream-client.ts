import { Agent, request } from "undici";
import { SseTiming } from "./sse-timing.js";

export interface StreamResult {
  status: number;
  timing: SseTiming;
  /** CLOCK_MONOTONIC ns: request sent, headers received, first body byte, end. */
  startNs: bigint;
  headersNs: bigint;
  firstByteNs: bigint;
  endNs: bigint;
  error?: string;
}

/** One agent per run so that connection counts and keep-alive do not leak between columns. */
export function streamAgent(): Agent {
  return new Agent({ connections: null, pipelining: 1, headersTimeout: 300_000, bodyTimeout: 300_000, keepAliveTimeout: 30_000 });
}

/** Send one streaming POST and read it to the end, timing every chunk. */
export async function streamOnce(
  url: string,
  body: string,
  dispatcher: Agent,
  options: { signal?: AbortSignal; onHeaders?: () => void } = {},
): Promise<StreamResult> {
  const timing = new SseTiming();
  const startNs = process.hrtime.bigint();
  let headersNs = 0n;
  let firstByteNs = 0n;
  try {
    const response = await request(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
      dispatcher,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    headersNs = process.hrtime.bigint();
    options.onHeaders?.();
    for await (const chunk of response.body) {
      const arrivalNs = process.hrtime.bigint();
      if (firstByteNs === 0n) firstByteNs = arrivalNs;
      timing.push(chunk as Buffer, arrivalNs);
    }
    return { status: response.statusCode, timing, startNs, headersNs, firstByteNs, endNs: process.hrtime.bigint() };
  } catch (error) {
    return { status: 0, timing, startNs, headersNs, firstByteNs, endNs: process.hrtime.bigint(), error: (error as Error).message };
  }
}
