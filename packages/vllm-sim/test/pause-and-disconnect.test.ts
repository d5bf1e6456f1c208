import { describe, expect, it } from "vitest";
import { chatBody, postJson, useSims, waitFor } from "./helpers.js";

describe("pause, resume and client disconnects", () => {
  const sim = useSims();

  it("pause?wait_for_inflight_requests=true waits for running requests; new ones wait until resume", async () => {
    const s = await sim({ model: "m", knobs: { "tokens-per-sec": 50 } });
    const stream = await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "a", { stream: true, max_tokens: 25, ignore_eos: true }));
    const reader = stream.body!.getReader();
    await reader.read(); // the request is running
    let streamDone = false;
    const drained = (async () => {
      while (!(await reader.read()).done);
      streamDone = true;
    })();
    const pause = await fetch(`${s.url}/pause?wait_for_inflight_requests=true`, { method: "POST" });
    expect(await pause.json()).toEqual({ status: "paused" });
    // The running request finished before pause answered.
    expect((await s.control.stats()).requests).toMatchObject({ running: 0, completed: 1 });
    await drained;
    expect(streamDone).toBe(true);

    let answered = false;
    const queued = postJson(`${s.url}/v1/chat/completions`, chatBody("m", "b", { max_tokens: 2 })).then(async (r) => {
      answered = true;
      return r.status;
    });
    await waitFor(async () => (await s.control.stats()).requests.waiting === 1, "request waiting");
    // Sleeping while paused is safe: nothing runs.
    expect((await fetch(`${s.url}/sleep?level=1`, { method: "POST" })).status).toBe(200);
    expect((await fetch(`${s.url}/wake_up`, { method: "POST" })).status).toBe(200);
    expect(answered).toBe(false);
    expect(await (await fetch(`${s.url}/resume`, { method: "POST" })).json()).toEqual({ status: "resumed" });
    expect(await queued).toBe(200);
    expect(s.events().filter((event) => event.event === "crash")).toEqual([]);
  });

  it("pause without waiting aborts running requests", async () => {
    const s = await sim({ model: "m", knobs: { "tokens-per-sec": 20 } });
    const running = postJson(`${s.url}/v1/chat/completions`, chatBody("m", "a", { max_tokens: 2000, ignore_eos: true })).then(
      (r) => r.json() as Promise<Record<string, any>>,
    );
    await waitFor(async () => (await s.control.stats()).requests.running === 1, "request running");
    await fetch(`${s.url}/pause`, { method: "POST" }).then((r) => r.text());
    expect((await running).choices[0].finish_reason).toBe("abort");
    expect((await s.control.stats()).requests).toMatchObject({ running: 0, cancelled: 1 });
    await fetch(`${s.url}/resume`, { method: "POST" }).then((r) => r.text());
  });

  it("notices a client that disconnects mid-stream and counts it cancelled", async () => {
    const s = await sim({ model: "m", knobs: { "tokens-per-sec": 20 } });
    const controller = new AbortController();
    const response = await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "a", { stream: true, max_tokens: 2000, ignore_eos: true }), {
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    expect((await s.control.stats()).requests.running).toBe(1);
    controller.abort();
    await waitFor(async () => (await s.control.stats()).requests.cancelled === 1, "cancelled count");
    expect((await s.control.stats()).requests.running).toBe(0);
    await waitFor(() => s.events().some((event) => event.event === "request_end" && event.outcome === "cancelled"), "request_end cancelled");
  });

  it("notices a client that disconnects from a non-streaming or hung request", async () => {
    const s = await sim({ model: "m", knobs: { "tokens-per-sec": 10 } });
    const controller = new AbortController();
    const pending = postJson(`${s.url}/v1/completions`, { model: "m", prompt: "a", max_tokens: 2000, ignore_eos: true }, { signal: controller.signal }).catch(
      () => "aborted",
    );
    await waitFor(async () => (await s.control.stats()).requests.running === 1, "request running");
    controller.abort();
    expect(await pending).toBe("aborted");
    await waitFor(async () => (await s.control.stats()).requests.cancelled === 1, "cancelled");

    await s.control.fault("hang_request");
    const hung = new AbortController();
    const hanging = postJson(`${s.url}/v1/completions`, { model: "m", prompt: "a" }, { signal: hung.signal }).catch(() => "aborted");
    await waitFor(async () => (await s.control.stats()).requests.running === 1, "hung request running");
    hung.abort();
    expect(await hanging).toBe("aborted");
    await waitFor(async () => (await s.control.stats()).requests.cancelled === 2, "hung request cancelled");
  });
});
