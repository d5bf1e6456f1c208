import { engineRequest } from "./engine-http.js";
import { ProbeRequestError } from "./errors.js";

/**
 * The deterministic request, as the original llmux sent it: one short chat
 * question, temperature 0, seed 42, max_tokens 10, straight to the vLLM port.
 */
export const PROBE_QUESTION = "What is the capital of France? Answer in one word.";

export function probeBody(servedModelName: string): Record<string, unknown> {
  return {
    model: servedModelName,
    messages: [{ role: "user", content: PROBE_QUESTION }],
    temperature: 0,
    seed: 42,
    max_tokens: 10,
  };
}

export interface ProbeOptions {
  /** Base URL of the vLLM server, e.g. `http://127.0.0.1:8001`. */
  url: string;
  /** The server's Unix socket, when it serves on one (then `url` only names the `Host`). */
  socketPath?: string | undefined;
  /** The `--served-model-name` the server was started with. */
  servedModelName: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Send the probe and return the answer's text. Throws `ProbeRequestError` on any failure. */
export async function askProbe(options: ProbeOptions): Promise<string> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const where = options.socketPath === undefined ? options.url : options.socketPath;
  let response: { status: number; text: string };
  try {
    response = await engineRequest(`${options.url}/v1/chat/completions`, {
      method: "POST",
      json: probeBody(options.servedModelName),
      socketPath: options.socketPath,
      signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ProbeRequestError(`probe request to ${where} failed: ${(error as Error).message}`, { cause: error });
  }
  const text = response.text;
  if (response.status < 200 || response.status >= 300) {
    throw new ProbeRequestError(`probe request answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  let content: unknown;
  try {
    const body = JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] };
    content = body.choices?.[0]?.message?.content;
  } catch (error) {
    throw new ProbeRequestError(`probe response is not JSON: ${text.slice(0, 300)}`, { cause: error });
  }
  if (typeof content !== "string") throw new ProbeRequestError(`probe response has no message content: ${text.slice(0, 300)}`);
  return content;
}
