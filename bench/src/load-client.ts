import { Agent, request } from "undici";

export interface LoadResult {
  completed: number;
  failed: number;
  firstError?: string;
  seconds: number;
  latenciesMs: Float64Array;
}

/**
 * Send `total` non-streaming POSTs with `concurrency` in flight, reading every
 * body to the end. `onProgress` is called every `progressEvery` completions
 * (the memory soak samples RSS there).
 */
export async function runLoad(options: {
  url: string;
  body: string;
  total: number;
  concurrency: number;
  progressEvery?: number;
  onProgress?: (completed: number) => void;
}): Promise<LoadResult> {
  const dispatcher = new Agent({ connections: options.concurrency, pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const latencies = new Float64Array(options.total);
  let issued = 0;
  let completed = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (issued < options.total) {
      const index = issued++;
      const begin = process.hrtime.bigint();
      try {
        const response = await request(options.url, {
          method: "POST",
          body: options.body,
          headers: { "content-type": "application/json" },
          dispatcher,
        });
        await response.body.dump();
        if (response.statusCode !== 200) {
          failed++;
          firstError ??= `status ${response.statusCode}`;
        }
      } catch (error) {
        failed++;
        firstError ??= (error as Error).message;
      }
      latencies[index] = Number(process.hrtime.bigint() - begin) / 1e6;
      completed++;
      if (options.onProgress && options.progressEvery && completed % options.progressEvery === 0) options.onProgress(completed);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    await dispatcher.close();
  }
  return {
    completed,
    failed,
    ...(firstError ? { firstError } : {}),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    latenciesMs: latencies,
  };
}
