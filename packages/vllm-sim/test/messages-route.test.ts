import { describe, expect, it } from "vitest";
import { postJson, useSims } from "./helpers.js";

describe("Anthropic-shaped /v1/messages", () => {
  const sim = useSims();

  it("answers deterministically in Anthropic's shape, counts tokens the same way, and refuses bad requests", async () => {
    const s = await sim({ model: "alpha" });
    const request = { model: "alpha", max_tokens: 6, system: "Be brief.", messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }] };
    const first = await postJson(`${s.url}/v1/messages`, request);
    expect(first.status).toBe(200);
    const body = (await first.json()) as Record<string, any>;
    expect(body).toMatchObject({ type: "message", role: "assistant", model: "alpha", stop_sequence: null });
    expect(body.id).toMatch(/^msg-/);
    expect(body.content[0].type).toBe("text");
    expect(body.content[0].text).toMatch(/^\[alpha\]/);
    expect(body.content[0].text.split(" ").length).toBeLessThanOrEqual(6);
    expect(["end_turn", "max_tokens"]).toContain(body.stop_reason);
    const again = (await (await postJson(`${s.url}/v1/messages`, request)).json()) as Record<string, any>;
    expect(again.content).toEqual(body.content);

    const counted = await postJson(`${s.url}/v1/messages/count_tokens`, { model: "alpha", system: request.system, messages: request.messages });
    expect(await counted.json()).toEqual({ input_tokens: body.usage.input_tokens });

    const unknown = await postJson(`${s.url}/v1/messages`, { ...request, model: "nope" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    const noLimit = await postJson(`${s.url}/v1/messages`, { model: "alpha", messages: request.messages });
    expect(noLimit.status).toBe(400);
    expect(await noLimit.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });
});
