import { describe, expect, it } from "vitest";
import type { RequestRecord } from "../src/request-record.js";
import { useFakeProxy } from "./helpers/fake-proxy.js";
import { postJson, rawRequest } from "./helpers/http.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("x-request-id", () => {
  const fakeProxy = useFakeProxy(["alpha"]);

  it("a client's id goes to vLLM, comes back, and is on the request's record", async () => {
    const { url, upstream, started } = await fakeProxy();
    const records: RequestRecord[] = [];
    started.proxy.on("request", (record: RequestRecord) => records.push(record));
    const response = await postJson(url, "/v1/completions", { model: "alpha", prompt: "hi" }, { "x-request-id": "trace-42" });
    expect(response.status).toBe(200);
    expect(response.headers["x-request-id"]).toBe("trace-42");
    expect(upstream.seen[0]?.headers["x-request-id"]).toBe("trace-42");
    await expect.poll(() => records.map((record) => record.requestId)).toEqual(["trace-42"]);
  });

  it("without one (or with one llmux refuses) llmux makes one, sends it to vLLM and returns it", async () => {
    const { url, upstream } = await fakeProxy();
    const response = await postJson(url, "/v1/completions", { model: "alpha", prompt: "hi" }, { "x-request-id": "has spaces" });
    const id = response.headers["x-request-id"];
    expect(id).toMatch(UUID);
    expect(upstream.seen[0]?.headers["x-request-id"]).toBe(id);
  });

  it("errors and local routes carry it too", async () => {
    const { url } = await fakeProxy();
    const unknown = await postJson(url, "/v1/completions", { model: "nope" }, { "x-request-id": "e-1" });
    expect(unknown.status).toBe(404);
    expect(unknown.headers["x-request-id"]).toBe("e-1");
    expect((await rawRequest(url, { path: "/health" })).headers["x-request-id"]).toMatch(UUID);
  });
});
