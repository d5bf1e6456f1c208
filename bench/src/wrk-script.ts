export interface WrkSummary {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

const MARKER = "LLMUX_BENCH_WRK ";

/** Lua for wrk: POST the given JSON body, then print one marked JSON line with exact figures. */
export function renderWrkScript(body: string): string {
  // Lua long brackets need no escaping as long as the body holds no "]==]".
  if (body.includes("]==]")) throw new Error("body must not contain ]==]");
  return `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[${body}]==]

done = function(summary, latency, requests)
  io.write(string.format(
    '${MARKER}{"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
`;
}

/** Find the marked line in wrk's output and turn it into a summary. */
export function parseWrkOutput(output: string): WrkSummary {
  const line = output.split("\n").find((candidate) => candidate.startsWith(MARKER));
  if (!line) throw new Error(`wrk printed no summary line:\n${output.slice(-2000)}`);
  const raw = JSON.parse(line.slice(MARKER.length)) as Record<string, number>;
  const get = (key: string): number => {
    const value = raw[key];
    if (typeof value !== "number") throw new Error(`wrk summary lacks ${key}`);
    return value;
  };
  const durationSeconds = get("duration_us") / 1e6;
  return {
    requests: get("requests"),
    durationSeconds,
    requestsPerSecond: get("requests") / durationSeconds,
    p50Ms: get("p50_us") / 1000,
    p90Ms: get("p90_us") / 1000,
    p99Ms: get("p99_us") / 1000,
    meanMs: get("mean_us") / 1000,
    errors: {
      connect: get("connect"),
      read: get("read"),
      write: get("write"),
      status: get("status"),
      timeout: get("timeout"),
    },
  };
}
