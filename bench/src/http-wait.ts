import { request } from "undici";

/** Poll `url` until it answers 2xx, or throw after `timeoutMs`. */
export async function waitForHttp(url: string, options: { timeoutMs?: number; intervalMs?: number; alive?: () => boolean; what?: string } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (options.alive && !options.alive()) throw new Error(`${options.what ?? url} exited before it was ready`);
    try {
      const response = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) return;
      last = `status ${response.statusCode}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${options.what ?? url} not ready after ${timeoutMs} ms (${last})`);
}
