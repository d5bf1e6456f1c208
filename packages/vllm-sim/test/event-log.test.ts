import { describe, expect, it } from "vitest";
import { chatBody, postJson, useSims } from "./helpers.js";

describe("event log", () => {
  const sim = useSims();

  it("records ready, requests, sleep, wake, reload and exit in order with pid and model", async () => {
    const s = await sim({ model: "m" });
    await (await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x"))).text();
    await fetch(`${s.url}/sleep?level=2`, { method: "POST" });
    await fetch(`${s.url}/wake_up?tags=weights`, { method: "POST" });
    await (await postJson(`${s.url}/collective_rpc`, { method: "reload_weights" })).text();
    await fetch(`${s.url}/wake_up?tags=kv_cache`, { method: "POST" });
    await (await postJson(`${s.url}/v1/completions`, { model: "m", prompt: "warm-up", max_tokens: 1 })).text();
    await (await postJson(`${s.url}/v1/completions`, { model: "m", prompt: "real", max_tokens: 1 })).text();
    await s.stop();
    const events = s.events();
    expect(events.map((event) => event.event)).toEqual([
      "ready",
      "request_start",
      "request_end",
      "sleep",
      "wake",
      "reload",
      "wake",
      "request_start",
      "request_end",
      "request_start",
      "request_end",
      "exit",
    ]);
    expect(events.every((event) => event.pid === s.pid && event.model === "m" && typeof event.t === "number")).toBe(true);
    expect(events[2]).toMatchObject({ outcome: "completed", id: events[1]?.id });
    expect(events[3]).toMatchObject({ level: 2 });
    // Only the first request after the wake is cold.
    expect(events.filter((event) => event.event === "request_start").map((event) => event.cold === true)).toEqual([false, true, false]);
    const times = events.map((event) => event.t);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("names each request by the client's x-request-id on its start and end", async () => {
    const s = await sim({ model: "m" });
    const headers = { "content-type": "application/json", "x-request-id": "req-42" };
    await (await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x"), { headers })).text();
    await (await postJson(`${s.url}/v1/completions`, { model: "m", prompt: "no id", max_tokens: 1 })).text();
    await s.stop();
    const requests = s.events().filter((event) => event.event === "request_start" || event.event === "request_end");
    expect(requests.map((event) => [event.event, event.request_id])).toEqual([
      ["request_start", "req-42"],
      ["request_end", "req-42"],
      ["request_start", undefined],
      ["request_end", undefined],
    ]);
    expect(requests[0]?.id).toMatch(/^chatcmpl-/);
  });
});
