/** A streaming POST whose raw text is readable while it arrives. */
export interface RawStream {
  readonly text: string;
  /** The whole body once the server ends it (rejects when the request fails). */
  done: Promise<string>;
  abort(): void;
}

export function postStream(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): RawStream {
  const controller = new AbortController();
  let text = "";
  const done = (async () => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    return text;
  })();
  return {
    get text() {
      return text;
    },
    done,
    abort: () => controller.abort(),
  };
}

/** The JSON payloads of a stream's `data:` events (`[DONE]` excluded), and whether `[DONE]` came. */
export function dataEvents(raw: string): { events: Record<string, unknown>[]; done: boolean } {
  const events: Record<string, unknown>[] = [];
  let done = false;
  for (const block of raw.split("\n\n")) {
    const line = block.split("\n").find((l) => l.startsWith("data: "));
    if (line === undefined) continue;
    const data = line.slice(6);
    if (data === "[DONE]") done = true;
    else events.push(JSON.parse(data) as Record<string, unknown>);
  }
  return { events, done };
}

/** The text of a chat or completions stream. */
export function streamedText(events: Record<string, unknown>[]): string {
  return events
    .map((event) => {
      const choice = (event.choices as { delta?: { content?: string }; text?: string }[] | undefined)?.[0];
      return choice?.delta?.content ?? choice?.text ?? "";
    })
    .join("");
}

/** The simulators' knobs for pause-and-resume tests: alpha generates at 40 tokens/s, both sleep and wake fast. */
export function pausingSims(alpha: Record<string, string> = {}, beta: Record<string, string> = {}): Record<string, Record<string, string>> {
  const fast = { VLLM_SIM_SLEEP1_MS: "50", VLLM_SIM_WAKE1_MS: "50", VLLM_SIM_STARTUP_MS: "100" };
  return { alpha: { ...fast, VLLM_SIM_TOKENS_PER_SEC: "40", ...alpha }, beta: { ...fast, ...beta } };
}
