import { type IncomingHttpHeaders, request } from "node:http";

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with node:http, sending the target exactly as given (no
 * URL normalisation, so `..` and `%2f` reach the server as written).
 */
export function rawRequest(
  baseUrl: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** POST a JSON value. */
export function postJson(baseUrl: string, path: string, value: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(baseUrl, {
    method: "POST",
    path,
    headers: { "content-type": "application/json", ...headers },
    body: typeof value === "string" ? value : JSON.stringify(value),
  });
}

export function errorOf(response: RawResponse): { message: string; type: string; param: string | null; code: unknown } {
  const parsed = JSON.parse(response.body) as { error: { message: string; type: string; param: string | null; code: unknown } };
  expectShape(parsed);
  return parsed.error;
}

function expectShape(value: { error?: unknown }): void {
  const error = value.error as Record<string, unknown> | undefined;
  if (!error || typeof error.message !== "string" || typeof error.type !== "string" || !("param" in error) || !("code" in error)) {
    throw new Error(`not an OpenAI error body: ${JSON.stringify(value)}`);
  }
}
