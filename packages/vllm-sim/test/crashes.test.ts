import { describe, expect, it } from "vitest";
import { chatBody, postJson, useSims, waitFor } from "./helpers.js";

describe("crashes like vLLM v0.13", () => {
  const sim = useSims();

  it("dies on a generation request while asleep: error line, 500, /health 503, exit 1", async () => {
    const s = await sim({ model: "m" });
    expect((await fetch(`${s.url}/sleep?level=1`, { method: "POST" })).status).toBe(200);
    const response = await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "too early"));
    expect(response.status).toBe(500);
    expect(((await response.json()) as Record<string, any>).error.type).toBe("InternalServerError");
    const health = await fetch(`${s.url}/health`)
      .then((r) => r.status)
      .catch(() => "refused");
    expect([503, "refused"]).toContain(health);
    expect(await s.exited).toEqual({ code: 1, signal: null });
    expect(s.logs().some((line) => line.includes("ERROR") && line.includes("CUDA error: an illegal memory access was encountered"))).toBe(true);
    const crash = s.events().find((event) => event.event === "crash");
    expect(crash?.reason).toBe("request_while_asleep");
    expect(s.events().at(-1)).toMatchObject({ event: "exit", code: 1 });
  });

  it("dies on a request that arrives while the sleep is still under way", async () => {
    const s = await sim({ model: "m", knobs: { "sleep1-ms": 400 } });
    const sleep = fetch(`${s.url}/sleep?level=1`, { method: "POST" });
    await waitFor(() => s.logs().some((line) => line.includes("sleep the engine with level 1")), "sleep started");
    expect((await postJson(`${s.url}/v1/completions`, { model: "m", prompt: "x" })).status).toBe(500);
    expect((await sleep).status).toBe(200);
    expect((await s.exited).code).toBe(1);
    expect(s.events().find((event) => event.event === "crash")?.reason).toBe("request_while_asleep");
  });

  it("dies on embeddings and completions while asleep too", async () => {
    for (const [path, body] of [
      ["/v1/embeddings", { model: "m", input: "x" }],
      ["/v1/completions", { model: "m", prompt: "x" }],
    ] as const) {
      const s = await sim({ model: "m" });
      await fetch(`${s.url}/sleep?level=2`, { method: "POST" });
      expect((await postJson(`${s.url}${path}`, body)).status).toBe(500);
      expect((await s.exited).code).toBe(1);
    }
  });

  it("dies when /sleep arrives while a request is running", async () => {
    const s = await sim({ model: "m", knobs: { "tokens-per-sec": 20 } });
    const stream = await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "long", { stream: true, max_tokens: 2000, ignore_eos: true }));
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await reader.read();
    const sleep = await fetch(`${s.url}/sleep?level=1`, { method: "POST" });
    expect(sleep.status).toBe(500);
    let text = "";
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).not.toMatch(/"finish_reason":"(length|stop)"/);
    expect((await s.exited).code).toBe(1);
    expect(s.events().find((event) => event.event === "crash")?.reason).toBe("sleep_with_running_requests");
    expect(s.logs().some((line) => line.includes("ERROR") && line.includes("EngineCore encountered a fatal error."))).toBe(true);
  });

  it("crashes on the crash fault and mid-stream on crash_mid_stream", async () => {
    const s = await sim({ model: "m" });
    await s.control.fault("crash");
    expect((await s.exited).code).toBe(1);
    expect(s.events().find((event) => event.event === "crash")?.reason).toBe("fault");

    const t = await sim({ model: "m" });
    await t.control.fault("crash_mid_stream");
    const response = await postJson(`${t.url}/v1/chat/completions`, chatBody("m", "x", { stream: true, max_tokens: 30 }));
    const text = await response.text().catch(() => "");
    expect(text).not.toMatch(/"finish_reason":"(length|stop)"/);
    expect((await t.exited).code).toBe(1);
    await waitFor(() => t.events().some((event) => event.event === "crash"), "crash event");
  });

  it("dies when reload_weights runs while the weights are still asleep", async () => {
    const s = await sim({ model: "m" });
    await fetch(`${s.url}/sleep?level=2`, { method: "POST" });
    expect((await postJson(`${s.url}/collective_rpc`, { method: "reload_weights" })).status).toBe(500);
    expect((await s.exited).code).toBe(1);
    expect(s.events().find((event) => event.event === "crash")?.reason).toBe("reload_while_asleep");
  });

  it("removes its GPU record when it dies", async () => {
    const s = await sim({ model: "m" });
    await s.control.fault("crash");
    await s.exited;
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(s.stateDir).filter((name) => name.endsWith(".json"))).toEqual([]);
  });
});
