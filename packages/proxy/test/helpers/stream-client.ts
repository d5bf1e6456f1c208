import { type ClientRequest, type IncomingHttpHeaders, request } from "node:http";

export interface StreamClient {
  /** Resolves once the response head arrived. */
  head: Promise<{ status: number; headers: IncomingHttpHeaders }>;
  /** Everything received so far. */
  text(): string;
  /** Wait until the received text satisfies `predicate`. */
  waitFor(predicate: (text: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the full text when the response ends. */
  ended: Promise<string>;
  /** Close the connection (a client going away). */
  abort(): void;
  readonly request: ClientRequest;
}

/** POST a JSON body and read the response incrementally over a raw socket. */
export function openStream(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): StreamClient {
  const base = new URL(baseUrl);
  let received = "";
  let resolveHead!: (value: { status: number; headers: IncomingHttpHeaders }) => void;
  let rejectHead!: (error: unknown) => void;
  const head = new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    resolveHead = resolve;
    rejectHead = reject;
  });
  let resolveEnded!: (text: string) => void;
  let rejectEnded!: (error: unknown) => void;
  const ended = new Promise<string>((resolve, reject) => {
    resolveEnded = resolve;
    rejectEnded = reject;
  });
  // A test that aborts on purpose does not await these.
  head.catch(() => undefined);
  ended.catch(() => undefined);
  const req = request(
    { host: base.hostname, port: base.port, method: "POST", path, headers: { "content-type": "application/json", ...headers }, agent: false },
    (res) => {
      resolveHead({ status: res.statusCode ?? 0, headers: res.headers });
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (received += chunk));
      res.on("end", () => resolveEnded(received));
      res.on("error", rejectEnded);
      res.on("aborted", () => rejectEnded(new Error("response aborted")));
    },
  );
  req.on("error", (error) => {
    rejectHead(error);
    rejectEnded(error);
  });
  req.end(JSON.stringify(body));
  return {
    head,
    ended,
    request: req,
    text: () => received,
    async waitFor(predicate, what, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(received)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return received;
    },
    abort() {
      req.destroy();
    },
  };
}

/** The `data:` payloads of an SSE text, in order. */
export function sseData(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice("data: ".length));
}
