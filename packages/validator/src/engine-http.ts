import { request } from "node:http";

/**
 * One HTTP exchange with an engine, over its Unix socket when it has one (a
 * model without a port) or TCP otherwise: `fetch` cannot reach a socket path
 * without a dispatcher from a library the validator does not depend on.
 */
export function engineRequest(
  url: string,
  options: { socketPath?: string | undefined; method: "GET" | "POST"; json?: unknown; signal?: AbortSignal | undefined },
): Promise<{ status: number; text: string }> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        ...(options.socketPath === undefined ? {} : { socketPath: options.socketPath }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.once("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.once("error", reject);
        res.once("aborted", () => reject(new Error("the response was cut off")));
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}
