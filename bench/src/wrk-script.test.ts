import { describe, expect, it } from "vitest";
import { parseWrkOutput, renderWrkScript } from "./wrk-script.js";

describe("renderWrkScript", () => {
  it("posts the body verbatim as JSON", () => {
    const script = renderWrkScript('{"model":"m","messages":[{"role":"user","content":"say \\"hi\\""}]}');
    expect(script).toContain('wrk.method = "POST"');
    expect(script).toContain('wrk.headers["Content-Type"] = "application/json"');
    expect(script).toContain('wrk.body = [==[{"model":"m","messages":[{"role":"user","content":"say \\"hi\\""}]}]==]');
  });

  it("refuses a body that would end the Lua string early", () => {
    expect(() => renderWrkScript("]==]")).toThrow();
  });
});

describe("parseWrkOutput", () => {
  it("reads the marked line among wrk's own output", () => {
    const output = [
      "Running 2s test @ http://127.0.0.1:1/v1/chat/completions",
      "  1 threads and 50 connections",
      'LLMUX_BENCH_WRK {"requests":20000,"duration_us":2000000,"p50_us":1500,"p90_us":2100,"p99_us":4000,"mean_us":1600.5,"connect":0,"read":0,"write":0,"status":3,"timeout":0}',
      "Requests/sec:  10000.00",
    ].join("\n");
    const summary = parseWrkOutput(output);
    expect(summary.requestsPerSecond).toBe(10000);
    expect(summary.p50Ms).toBe(1.5);
    expect(summary.p99Ms).toBe(4);
    expect(summary.meanMs).toBeCloseTo(1.6005);
    expect(summary.errors.status).toBe(3);
  });

  it("fails loudly when wrk printed no summary", () => {
    expect(() => parseWrkOutput("unable to connect to 127.0.0.1:1 Connection refused")).toThrow(/no summary/);
  });
});
