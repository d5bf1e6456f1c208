import { describe, expect, it } from "vitest";
import { rawRequest, postJson } from "./helpers/http.js";
import { dataEvents, pausingSims, postStream, streamedText } from "./helpers/preemption-client.js";
import { useSimStack } from "./helpers/sim-stack.js";
import { openSse } from "./helpers/sse-reader.js";
import { parseStatus, parseStatusEvent } from "./status-schema.js";

const chat = { model: "alpha", messages: [{ role: "user", content: "tell a long story" }], temperature: 0, max_tokens: 60, ignore_eos: true, stream: true };

type Status = ReturnType<typeof parseStatusEvent>;
const alphaOf = (status: Status) => status.models.find((model) => model.name === "alpha");

describe("paused requests in /llmux/status and the live feed (vllm-sim)", () => {
  const startStack = useSimStack();

  it("a paused request is listed with its id, tokens so far, pause time and preemptions, live, until it resumes", async () => {
    const current = await startStack(["alpha", "beta"], {
      // beta starts slowly, so alpha's request stays paused a while.
      sim: pausingSims({}, { VLLM_SIM_STARTUP_MS: "1500" }),
      policy: { max_drain_secs: 0.2, sleep_level: 1 },
    });
    const feed = await openSse(`${current.url}/llmux/events`);
    const views = (): Status[] => feed.events.filter((event) => event.event === "status").map((event) => parseStatusEvent(event.data));
    try {
      const stream = postStream(current.url, "/v1/chat/completions", chat, { "x-request-id": "story-1" });
      await feed.next((event) => event.event === "status" && (alphaOf(parseStatusEvent(event.data))?.in_flight ?? 0) > 0, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const pausedAfter = Date.now();
      const beta = postJson(current.url, "/v1/completions", { model: "beta", prompt: "hi", max_tokens: 3 });

      await feed.next((event) => event.event === "status" && alphaOf(parseStatusEvent(event.data))?.paused === 1, 20_000);
      const status = parseStatus(JSON.parse((await rawRequest(current.url, { path: "/llmux/status" })).body));
      const alpha = alphaOf(status);
      expect(alpha?.paused).toBe(1);
      const entry = alpha?.paused_requests[0];
      expect(entry?.request_id).toBe("story-1");
      expect(entry?.preemptions).toBe(1);
      expect(entry?.completion_tokens).toBeGreaterThan(0);
      expect(entry?.completion_tokens).toBeLessThan(60);
      // Wall-clock: after the switch was asked for, not after this read.
      expect(entry?.paused_at).toBeGreaterThanOrEqual(pausedAfter - 5);
      expect(entry?.paused_at).toBeLessThanOrEqual(Date.now());
      const shownTokens = entry?.completion_tokens ?? 0;
      expect((await rawRequest(current.metricsUrl, { path: "/metrics" })).body).toMatch(/llmux_paused_requests\{model="alpha"\} 1\n/);

      expect((await beta).status).toBe(200);
      const { events, done } = dataEvents(await stream.done);
      expect(done).toBe(true);
      expect(streamedText(events).length).toBeGreaterThan(0);
      await feed.next(
        (event) => event.event === "status" && views().some((view) => alphaOf(view)?.paused === 1) && alphaOf(parseStatusEvent(event.data))?.paused === 0,
      );
      const after = parseStatus(JSON.parse((await rawRequest(current.url, { path: "/llmux/status" })).body));
      expect(alphaOf(after)).toMatchObject({ paused: 0, paused_requests: [] });
      expect((await rawRequest(current.metricsUrl, { path: "/metrics" })).body).toMatch(/llmux_paused_requests\{model="alpha"\} 0\n/);
      // The feed showed the pause while it lasted, with the same entry.
      const shown = views().flatMap((view) => alphaOf(view)?.paused_requests ?? []);
      expect(shown.every((request) => request.request_id === "story-1" && request.completion_tokens === shownTokens)).toBe(true);
    } finally {
      feed.close();
    }
  }, 60_000);
});
