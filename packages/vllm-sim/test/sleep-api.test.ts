import { describe, expect, it } from "vitest";
import { chatBody, chatText, postJson, useSims } from "./helpers.js";

const post = (url: string): Promise<Response> => fetch(url, { method: "POST" });
const isSleeping = async (url: string): Promise<boolean> => ((await (await fetch(`${url}/is_sleeping`)).json()) as { is_sleeping: boolean }).is_sleeping;

describe("sleep API (dev mode)", () => {
  const sim = useSims();

  it("sleeps at level 1, answers read-only routes while asleep, and wakes to the same answers", async () => {
    const s = await sim({ model: "m" });
    const before = await chatText(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "compare me")));
    const sleep = await post(`${s.url}/sleep?level=1`);
    expect(sleep.status).toBe(200);
    expect(await sleep.text()).toBe("");
    expect(await isSleeping(s.url)).toBe(true);
    for (const path of ["/health", "/v1/models", "/version", "/metrics"]) expect((await fetch(`${s.url}${path}`)).status).toBe(200);
    expect((await postJson(`${s.url}/tokenize`, { prompt: "a b" })).status).toBe(200);
    expect((await postJson(`${s.url}/detokenize`, { tokens: [1000] })).status).toBe(200);
    expect(await (await fetch(`${s.url}/metrics`)).text()).toContain('sleep_state="weights_offloaded"} 1');
    const wake = await post(`${s.url}/wake_up`);
    expect(wake.status).toBe(200);
    expect(await wake.text()).toBe("");
    expect(await isSleeping(s.url)).toBe(false);
    expect(await chatText(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "compare me")))).toBe(before);
    const stats = await s.control.stats();
    expect(stats).toMatchObject({ sleeping: false, sleep_level: 0, sleeps: 1, wakes: 1 });
    expect(s.events().map((event) => event.event)).toEqual(expect.arrayContaining(["ready", "sleep", "wake"]));
  });

  it("does not go deeper on a second sleep, and takes the level from the query only", async () => {
    const s = await sim({ model: "m" });
    expect((await post(`${s.url}/sleep`)).status).toBe(200);
    expect((await s.control.stats()).sleep_level).toBe(1);
    expect((await post(`${s.url}/sleep?level=2`)).status).toBe(200);
    expect((await s.control.stats()).sleep_level).toBe(1);
    expect((await s.control.stats()).sleeps).toBe(1);
    const bad = await post(`${s.url}/sleep?level=deep`);
    expect(bad.status).toBe(500);
    expect(await bad.text()).toBe("Internal Server Error");
    const body = await fetch(`${s.url}/sleep`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ level: 2 }) });
    expect(body.status).toBe(200);
    expect((await s.control.stats()).sleep_level).toBe(1);
  });

  it("wakes by tags: partial wake keeps is_sleeping true; unknown or awake tags are a no-op", async () => {
    const s = await sim({ model: "m" });
    expect((await post(`${s.url}/sleep?level=1`)).status).toBe(200);
    expect((await post(`${s.url}/wake_up?tags=bogus`)).status).toBe(200);
    expect((await s.control.stats()).sleeping_tags).toEqual(["weights", "kv_cache"]);
    expect((await post(`${s.url}/wake_up?tags=weights`)).status).toBe(200);
    expect(await isSleeping(s.url)).toBe(true);
    expect((await s.control.stats()).sleeping_tags).toEqual(["kv_cache"]);
    // weights is awake already: the whole call is a no-op, kv_cache stays asleep.
    expect((await post(`${s.url}/wake_up?tags=weights&tags=kv_cache`)).status).toBe(200);
    expect(await isSleeping(s.url)).toBe(true);
    expect((await post(`${s.url}/wake_up?tags=kv_cache`)).status).toBe(200);
    expect(await isSleeping(s.url)).toBe(false);
    expect((await post(`${s.url}/wake_up`)).status).toBe(200);
    // A repeated tag: the wake happens, then Python's set.remove raises (plain 500).
    expect((await post(`${s.url}/sleep?level=1`)).status).toBe(200);
    const repeated = await post(`${s.url}/wake_up?tags=weights&tags=weights`);
    expect(repeated.status).toBe(500);
    expect(await repeated.text()).toBe("Internal Server Error");
    expect((await s.control.stats()).sleeping_tags).toEqual(["kv_cache"]);
  });

  it("answers gibberish after a level-2 wake without reload_weights, and correctly after the full sequence", async () => {
    const s = await sim({ model: "m" });
    const before = await chatText(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "same question")));
    expect((await post(`${s.url}/sleep?level=2`)).status).toBe(200);
    expect(await (await fetch(`${s.url}/metrics`)).text()).toContain('sleep_state="discard_all"} 1');
    expect((await post(`${s.url}/wake_up`)).status).toBe(200);
    const garbled = await chatText(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "same question")));
    expect(garbled).not.toBe(before);
    expect(garbled).not.toContain("[m]");

    expect((await post(`${s.url}/sleep?level=2`)).status).toBe(200);
    expect((await post(`${s.url}/wake_up?tags=weights`)).status).toBe(200);
    const reload = await postJson(`${s.url}/collective_rpc`, { method: "reload_weights" });
    expect(reload.status).toBe(200);
    expect(await reload.json()).toEqual({ results: [null] });
    expect((await post(`${s.url}/wake_up?tags=kv_cache`)).status).toBe(200);
    const reset = await post(`${s.url}/reset_prefix_cache`);
    expect(reset.status).toBe(200);
    expect(await reset.text()).toBe("");
    expect(await isSleeping(s.url)).toBe(false);
    expect(await chatText(await postJson(`${s.url}/v1/chat/completions`, chatBody("m", "same question")))).toBe(before);
    expect((await s.control.stats()).reloads).toBe(1);
  });

  it("answers one collective_rpc result per worker and 400 for a bad body", async () => {
    const s = await sim({ model: "m", args: ["--tensor-parallel-size", "2"], knobs: { "gpu-count": 2 } });
    expect(await (await postJson(`${s.url}/collective_rpc`, { method: "reload_weights" })).json()).toEqual({ results: [null, null] });
    const missing = await postJson(`${s.url}/collective_rpc`, {});
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as Record<string, any>).error).toMatchObject({
      message: "Missing 'method' in request body",
      type: "Bad Request",
      code: 400,
    });
    const broken = await fetch(`${s.url}/collective_rpc`, { method: "POST", body: "{" });
    expect(broken.status).toBe(400);
  });

  it("gates the dev routes on VLLM_SERVER_DEV_MODE with Starlette's 404, but not pause/resume", async () => {
    const s = await sim({ model: "m", env: { VLLM_SERVER_DEV_MODE: "0" } });
    for (const path of ["/sleep", "/wake_up", "/collective_rpc", "/reset_prefix_cache"]) {
      const response = await post(`${s.url}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ detail: "Not Found" });
    }
    expect((await fetch(`${s.url}/is_sleeping`)).status).toBe(404);
    expect(await (await post(`${s.url}/pause`)).json()).toEqual({ status: "paused" });
    expect(await (await fetch(`${s.url}/is_paused`)).json()).toEqual({ is_paused: true });
    expect(await (await post(`${s.url}/resume`)).json()).toEqual({ status: "resumed" });
    const dev = await sim({ model: "m" });
    const wrongMethod = await fetch(`${dev.url}/sleep`);
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toEqual({ detail: "Method Not Allowed" });
  });
});

describe("engine calls run in order", () => {
  const sim = useSims();

  it("runs a wake that arrives during a sleep after it, and a generation request after both", async () => {
    const s = await sim({ model: "m", knobs: { "sleep1-ms": 400 } });
    const sleep = post(`${s.url}/sleep?level=1`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const wake = post(`${s.url}/wake_up`);
    expect((await sleep).status).toBe(200);
    expect((await wake).status).toBe(200);
    expect(await isSleeping(s.url)).toBe(false);
    const stats = await s.control.stats();
    expect(stats).toMatchObject({ sleeps: 1, wakes: 1 });
    expect((await postJson(`${s.url}/v1/completions`, { model: "m", prompt: "x" })).status).toBe(200);
  });
});
