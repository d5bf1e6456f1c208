import { request } from "undici";

/** One streamed generation as the client saw it. */
export interface StreamOutcome {
  text: string;
  /** The stream carried an error event (a request cut off, or a failed resume). */
  error: string | undefined;
  ids: number;
  done: boolean;
}

/** Stream one chat request and gather what the client sees. */
export async function streamChat(base: string, body: Record<string, unknown>, requestId?: string): Promise<StreamOutcome> {
  const response = await request(`${base}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ ...body, stream: true }),
    headers: { "content-type": "application/json", ...(requestId ? { "x-request-id": requestId } : {}) },
    headersTimeout: 300_000,
    bodyTimeout: 300_000,
  });
  const raw = await response.body.text();
  if (response.statusCode !== 200) return { text: "", error: `HTTP ${response.statusCode}: ${raw.slice(0, 200)}`, ids: 0, done: false };
  let text = "";
  let error: string | undefined;
  let done = false;
  const ids = new Set<string>();
  for (const block of raw.split("\n\n")) {
    const line = block.split("\n").find((each) => each.startsWith("data: "));
    if (!line) continue;
    const data = line.slice(6);
    if (data === "[DONE]") {
      done = true;
      continue;
    }
    const event = JSON.parse(data) as { id?: string; error?: { message?: string }; choices?: { delta?: { content?: string } }[] };
    if (event.error) error = event.error.message ?? "error";
    if (event.id) ids.add(event.id);
    text += event.choices?.[0]?.delta?.content ?? "";
  }
  return { text, error, ids: ids.size, done };
}

/** The same request answered at once by a sim of its own (tokens-per-sec 0): the uninterrupted text. */
export async function referenceText(simUrl: string, body: Record<string, unknown>): Promise<string> {
  return (await streamChat(simUrl, body)).text;
}
