import { describe, expect, it } from "vitest";
import { runningRequests } from "./confirm-idle.js";
import { isStaleConnectionError } from "./stale-connection.js";

describe("runningRequests", () => {
  it("sums vLLM's running-requests gauge over its series and ignores look-alikes", () => {
    const text = [
      "# TYPE vllm:num_requests_running gauge",
      'vllm:num_requests_running{engine="0",model_name="a"} 2.0',
      'vllm:num_requests_running{engine="1",model_name="a"} 1',
      'vllm:num_requests_running_total{engine="0"} 9',
      'vllm:num_requests_waiting{engine="0"} 4',
    ].join("\n");
    expect(runningRequests(text)).toBe(3);
    expect(runningRequests("vllm:num_requests_running 0\n")).toBe(0);
    expect(runningRequests("# nothing here\n")).toBeUndefined();
  });
});

describe("isStaleConnectionError", () => {
  it("recognises a reset of a kept-alive connection, also as a cause, and nothing else", () => {
    expect(isStaleConnectionError(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }))).toBe(true);
    expect(isStaleConnectionError(new Error("wrapped", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) }))).toBe(true);
    expect(isStaleConnectionError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(isStaleConnectionError(new Error("plain"))).toBe(false);
  });
});
