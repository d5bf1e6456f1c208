import { describe, expect, it } from "vitest";
import type { FakeMux } from "./helpers/fake-mux.js";
import { useFakeProxy } from "./helpers/fake-proxy.js";
import type { FakeUpstream } from "./helpers/fake-upstream.js";
import { errorOf, postJson, rawRequest } from "./helpers/http.js";
import type { ProxyOverrides } from "./helpers/start-proxy.js";

describe("local routes, API keys and admin actions", () => {
  let upstream: FakeUpstream | undefined;
  const fakeProxy = useFakeProxy(["alpha", "org/beta"], (mux) => mux.states.set("org/beta", "asleep"));

  async function setUp(overrides: ProxyOverrides = {}): Promise<{ mux: FakeMux; url: string }> {
    const stack = await fakeProxy(overrides);
    upstream = stack.upstream;
    return stack;
  }

  it("lists configured models with their state, waking nothing", async () => {
    const { mux, url } = await setUp();
    const response = await rawRequest(url, { path: "/v1/models" });
    expect(response.status).toBe(200);
    const body = JSON.parse(response.body) as { object: string; data: Record<string, unknown>[] };
    expect(body.object).toBe("list");
    expect(body.data.map((model) => [model.id, model.object, model.root, model.llmux_state])).toEqual([
      ["alpha", "model", "org/alpha", "awake"],
      ["org/beta", "model", "org/org/beta", "asleep"],
    ]);
    expect(mux.leases).toHaveLength(0);
    expect(upstream?.seen).toHaveLength(0);
  });

  it("answers /health and a readable /llmux/status", async () => {
    const { url } = await setUp();
    expect(JSON.parse((await rawRequest(url, { path: "/health" })).body)).toEqual({ status: "ok" });
    const status = JSON.parse((await rawRequest(url, { path: "/llmux/status" })).body) as Record<string, unknown>;
    expect(status).toMatchObject({ proxy: { in_flight: 0, closing: false }, switches: [] });
    expect(status.models).toMatchObject([
      { name: "alpha", state: "awake", queue_depth: 0 },
      { name: "org/beta", state: "asleep", sleep_level: 1 },
    ]);
  });

  it("requires an API key when keys are configured, and does not forward it to vLLM", async () => {
    const { url } = await setUp({ api_keys: ["k1"] });
    const missing = await postJson(url, "/v1/completions", { model: "alpha" });
    expect(missing.status).toBe(401);
    expect(errorOf(missing).code).toBe("LLMUX_ERR_UNAUTHORIZED");
    expect((await rawRequest(url, { path: "/v1/models", headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await rawRequest(url, { path: "/health" })).status).toBe(200);
    const ok = await postJson(url, "/v1/completions", { model: "alpha" }, { authorization: "Bearer k1" });
    expect(ok.status).toBe(200);
    expect(upstream?.seen[0]?.headers.authorization).toBeUndefined();
  });

  it("has no admin routes without an admin key", async () => {
    const { mux, url } = await setUp();
    const response = await rawRequest(url, { method: "POST", path: "/llmux/models/alpha/sleep" });
    expect(response.status).toBe(404);
    expect(errorOf(response).code).toBe("LLMUX_ERR_ROUTE_NOT_FOUND");
    expect(mux.adminCalls).toEqual([]);
  });

  it("runs admin actions with an admin key only", async () => {
    const { mux, url } = await setUp({ admin_keys: ["root"], api_keys: ["k1"] });
    const denied = await rawRequest(url, { method: "POST", path: "/llmux/models/alpha/sleep", headers: { authorization: "Bearer k1" } });
    expect(denied.status).toBe(401);
    const slept = await rawRequest(url, { method: "POST", path: "/llmux/models/alpha/sleep?level=2", headers: { authorization: "Bearer root" } });
    expect(slept.status).toBe(200);
    expect(JSON.parse(slept.body)).toEqual({ model: "alpha", action: "sleep", state: "asleep" });
    const woken = await rawRequest(url, { method: "POST", path: "/llmux/models/org/beta/wake", headers: { authorization: "Bearer root" } });
    expect(JSON.parse(woken.body)).toEqual({ model: "org/beta", action: "wake", state: "awake" });
    const stopped = await rawRequest(url, { method: "POST", path: "/llmux/models/alpha/stop", headers: { authorization: "Bearer root" } });
    expect(JSON.parse(stopped.body)).toMatchObject({ state: "stopped" });
    const unknown = await rawRequest(url, { method: "POST", path: "/llmux/models/nope/stop", headers: { authorization: "Bearer root" } });
    expect(unknown.status).toBe(404);
    const badLevel = await rawRequest(url, { method: "POST", path: "/llmux/models/alpha/sleep?level=9", headers: { authorization: "Bearer root" } });
    expect(badLevel.status).toBe(400);
    expect(mux.adminCalls).toEqual(["sleep:alpha:2", "wake:org/beta", "stop:alpha"]);
    // An admin key also serves as an API key.
    expect((await postJson(url, "/v1/completions", { model: "alpha" }, { authorization: "Bearer root" })).status).toBe(200);
  });
});
