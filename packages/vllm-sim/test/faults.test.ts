import { describe, expect, it } from "vitest";
import { chatBody, chatText, postJson, useSims } from "./helpers.js";

const post = (url: string, init: RequestInit = {}): Promise<Response> => fetch(url, { method: "POST", ...init });

/** True when the call has not answered within `ms` (it hangs); the request is aborted afterwards. */
async function hangs(url: string, init: RequestInit = {}, ms = 400): Promise<boolean> {
  return fetch(url, { method: "POST", ...init, signal: AbortSignal.timeout(ms) })
    .then(() => false)
    .catch((error: Error) => error.name === "TimeoutError");
}

describe("fault injection (/_sim/fault)", () => {
  const sim = useSims();

  it("fails the next sleep and wake, then works again", async () => {
    const s = await sim({ model: "m" });
    await s.control.fault("fail_sleep");
    const failed = await post(`${s.url}/sleep?level=1`);
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as Record<string, any>).error.code).toBe(500);
    expect((await s.control.stats()).sleeping).toBe(false);
    expect((await post(`${s.url}/sleep?level=1`)).status).toBe(200);
    await s.control.fault("fail_wake", 2);
    expect((await post(`${s.url}/wake_up`)).status).toBe(500);
    expect((await post(`${s.url}/wake_up`)).status).toBe(500);
    expect((await s.control.stats()).sleeping).toBe(true);
    expect((await post(`${s.url}/wake_up`)).status).toBe(200);
    expect((await s.control.stats()).sleeping).toBe(false);
  });

  it("hangs the next sleep, wake or reload", async () => {
    const a = await sim({ model: "m" });
    await a.control.fault("hang_sleep");
    expect(await hangs(`${a.url}/sleep?level=1`)).toBe(true);
    const b = await sim({ model: "m" });
    await post(`${b.url}/sleep?level=1`);
    await b.control.fault("hang_wake");
    expect(await hangs(`${b.url}/wake_up`)).toBe(true);
    const c = await sim({ model: "m" });
    await c.control.fault("hang_reload");
    expect(
      await hangs(`${c.url}/collective_rpc`, { headers: { "content-type": "application/json" }, body: JSON.stringify({ method: "reload_weights" }) }),
    ).toBe(true);
  });

  it("fails or silently skips the reload (noop_reload leaves gibberish)", async () => {
    const s = await sim({ model: "m" });
    const good = await chatText(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "q")));
    await post(`${s.url}/sleep?level=2`);
    await post(`${s.url}/wake_up?tags=weights`);
    await s.control.fault("fail_reload");
    expect((await postJson(`${s.url}/collective_rpc`, { method: "reload_weights" })).status).toBe(500);
    await s.control.fault("noop_reload");
    const noop = await postJson(`${s.url}/collective_rpc`, { method: "reload_weights" });
    expect(noop.status).toBe(200);
    expect(await noop.json()).toEqual({ results: [null] });
    await post(`${s.url}/wake_up?tags=kv_cache`);
    expect(await chatText(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "q")))).not.toBe(good);
    expect((await postJson(`${s.url}/collective_rpc`, { method: "reload_weights" })).status).toBe(200);
    expect(await chatText(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "q")))).toBe(good);
  });

  it("answers 500 in vLLM's shape for the next generation requests with error_500", async () => {
    const s = await sim({ model: "m" });
    await s.control.fault("error_500", 2);
    for (let i = 0; i < 2; i++) {
      const response = await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x"));
      expect(response.status).toBe(500);
      expect(((await response.json()) as Record<string, any>).error).toMatchObject({ type: "InternalServerError", param: null, code: 500 });
    }
    expect((await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "x"))).status).toBe(200);
    expect((await s.control.stats()).requests).toMatchObject({ failed: 2, completed: 1 });
  });

  it("rejects an unknown fault with 400", async () => {
    const s = await sim({ model: "m" });
    const response = await postJson(`${s.url}/_sim/fault`, { fault: "explode" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Record<string, any>).sim_code).toBe("LLMUX_ERR_SIM_UNKNOWN_FAULT");
    await expect(s.control.fault("explode")).rejects.toMatchObject({ code: "LLMUX_ERR_SIM_CONTROL", status: 400 });
  });

  it("hides the control routes without --sim-control", async () => {
    const s = await sim({ model: "m", knobs: { control: 0 } });
    expect((await fetch(`${s.url}/_sim/stats`)).status).toBe(404);
  });
});
