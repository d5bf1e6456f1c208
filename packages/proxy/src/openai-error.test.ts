import { EngineCrashedError, ModelBackoffError } from "@llmux/core";
import { describe, expect, it } from "vitest";
import { MethodNotAllowedError, UpstreamUnavailableError } from "./errors.js";
import { toErrorResponse } from "./openai-error.js";

describe("toErrorResponse", () => {
  it("keeps core's status and turns retryAfterSecs into Retry-After", () => {
    const response = toErrorResponse(new ModelBackoffError("alpha", 7, new Error("oom")));
    expect(response.status).toBe(503);
    expect(response.headers["retry-after"]).toBe("7");
    expect(response.body.error).toMatchObject({ code: "LLMUX_ERR_MODEL_BACKOFF", type: "ServiceUnavailableError", param: null });
  });

  it("gives core errors without a retry hint no Retry-After", () => {
    const response = toErrorResponse(new EngineCrashedError("alpha", "signal SIGKILL"));
    expect(response).toMatchObject({ status: 502, headers: {} });
    expect(response.body.error.type).toBe("BadGatewayError");
  });

  it("uses the proxy's own type, param, Allow and Retry-After", () => {
    expect(toErrorResponse(new MethodNotAllowedError("GET", "/v1/completions", ["POST"])).headers).toEqual({ allow: "POST" });
    expect(toErrorResponse(new UpstreamUnavailableError("alpha", undefined, 0.2)).headers["retry-after"]).toBe("1");
  });

  it("hides the message of anything that is not a coded error", () => {
    const response = toErrorResponse(new Error("password=hunter2"));
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toContain("hunter2");
  });
});
