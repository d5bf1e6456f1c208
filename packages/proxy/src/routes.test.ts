import { describe, expect, it } from "vitest";
import { isLlmuxError } from "@llmux/types";
import { FORWARDED_ROUTES, matchRoute, splitTarget } from "./routes.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isLlmuxError(error) ? error.code : "not coded";
  }
  return undefined;
}

describe("matchRoute", () => {
  it("forwards every inference path of the vLLM contract, with its body kind", () => {
    expect(matchRoute("POST", "/v1/chat/completions")).toEqual({ kind: "forward", path: "/v1/chat/completions", query: "", body: "json" });
    expect(matchRoute("POST", "/v1/audio/transcriptions?x=1")).toEqual({
      kind: "forward",
      path: "/v1/audio/transcriptions",
      query: "?x=1",
      body: "multipart",
    });
    expect(FORWARDED_ROUTES.size).toBe(17);
    expect(matchRoute("POST", "/v1/messages/count_tokens")).toMatchObject({ kind: "forward", body: "json" });
  });

  it("never forwards vLLM admin routes or the simulator's control routes", () => {
    for (const path of [
      "/sleep",
      "/sleep?level=1",
      "/wake_up",
      "/collective_rpc",
      "/reset_prefix_cache",
      "/pause",
      "/resume",
      "/is_sleeping",
      "/_sim/fault",
      "/metrics",
      "/version",
      "/health/../sleep",
    ]) {
      const code = codeOf(() => matchRoute("POST", path));
      expect(code, path).toMatch(/^LLMUX_ERR_(ROUTE_NOT_FOUND|BAD_PATH)$/);
    }
  });

  it("answers 405 for a known path with the wrong method", () => {
    expect(codeOf(() => matchRoute("GET", "/v1/chat/completions"))).toBe("LLMUX_ERR_METHOD_NOT_ALLOWED");
    expect(codeOf(() => matchRoute("POST", "/v1/models"))).toBe("LLMUX_ERR_METHOD_NOT_ALLOWED");
    expect(codeOf(() => matchRoute("GET", "/llmux/models/a/sleep"))).toBe("LLMUX_ERR_METHOD_NOT_ALLOWED");
    expect(codeOf(() => matchRoute("GET", "/llmux/reload"))).toBe("LLMUX_ERR_METHOD_NOT_ALLOWED");
  });

  it("matches POST /llmux/reload exactly", () => {
    expect(matchRoute("POST", "/llmux/reload")).toEqual({ kind: "reload" });
    expect(codeOf(() => matchRoute("POST", "/llmux/reload/x"))).toBe("LLMUX_ERR_ROUTE_NOT_FOUND");
  });

  it("matches exact paths only", () => {
    expect(codeOf(() => matchRoute("POST", "/v1/chat/completions/"))).toBe("LLMUX_ERR_ROUTE_NOT_FOUND");
    expect(codeOf(() => matchRoute("POST", "/V1/chat/completions"))).toBe("LLMUX_ERR_ROUTE_NOT_FOUND");
  });

  it("routes local and admin paths (model names may hold slashes)", () => {
    expect(matchRoute("GET", "/health")).toEqual({ kind: "local", name: "health", query: "" });
    expect(matchRoute("GET", "/v1/models")).toEqual({ kind: "local", name: "models", query: "" });
    expect(matchRoute("GET", "/models")).toEqual({ kind: "local", name: "models", query: "" });
    expect(matchRoute("GET", "/v1/models/org/qwen-7b")).toEqual({ kind: "local", name: "model", query: "", model: "org/qwen-7b" });
    // Clients percent-encode the id as one segment; this local route alone decodes it.
    expect(matchRoute("GET", "/v1/models/org%2Fqwen2.5%3A7b")).toMatchObject({ name: "model", model: "org/qwen2.5:7b" });
    expect(codeOf(() => matchRoute("GET", "/v1/models/%E0%A4%A"))).toBe("LLMUX_ERR_BAD_PATH");
    expect(codeOf(() => matchRoute("DELETE", "/v1/models/alpha"))).toBe("LLMUX_ERR_METHOD_NOT_ALLOWED");
    expect(matchRoute("GET", "/llmux/status")).toEqual({ kind: "local", name: "status", query: "" });
    expect(matchRoute("GET", "/llmux/events")).toEqual({ kind: "local", name: "events", query: "" });
    expect(matchRoute("GET", "/llmux/logs?follow=1")).toEqual({ kind: "local", name: "logs", query: "?follow=1" });
    expect(matchRoute("GET", "/llmux/logs/org/qwen-7b")).toEqual({ kind: "local", name: "logs", query: "", model: "org/qwen-7b" });
    expect(matchRoute("GET", "/llmux/")).toEqual({ kind: "local", name: "page", query: "", file: "index.html" });
    expect(matchRoute("GET", "/llmux/app.js")).toMatchObject({ name: "page", file: "app.js" });
    expect(matchRoute("GET", "/llmux")).toMatchObject({ name: "page", file: "" });
    expect(codeOf(() => matchRoute("GET", "/llmux/secret.txt"))).toBe("LLMUX_ERR_ROUTE_NOT_FOUND");
    expect(matchRoute("POST", "/llmux/models/org/qwen-7b/sleep?level=2")).toEqual({
      kind: "admin",
      model: "org/qwen-7b",
      action: "sleep",
      query: "?level=2",
    });
    expect(codeOf(() => matchRoute("POST", "/llmux/models/qwen/explode"))).toBe("LLMUX_ERR_ROUTE_NOT_FOUND");
    expect(codeOf(() => matchRoute("POST", "/llmux/models//sleep"))).toBe("LLMUX_ERR_BAD_PATH");
  });
});

describe("splitTarget", () => {
  it("rejects non-canonical targets", () => {
    for (const target of [
      "http://evil.example/v1/chat/completions",
      "evil.example:80",
      "*",
      "/v1/../sleep",
      "/v1/./chat/completions",
      "/v1//chat/completions",
      "/v1%2fchat/completions",
      "/v1/chat%2Fcompletions",
      "/%2e%2e/sleep",
      "/v1\\chat",
      "/v1/chat/completions#frag",
    ]) {
      expect(
        codeOf(() => splitTarget(target)),
        target,
      ).toBe("LLMUX_ERR_BAD_PATH");
    }
  });

  it("keeps the query string as received", () => {
    expect(splitTarget("/tokenize?a=%2F&b")).toEqual({ path: "/tokenize", query: "?a=%2F&b" });
  });
});
