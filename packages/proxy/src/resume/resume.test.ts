import { describe, expect, it } from "vitest";
import { partBody } from "./continuation-body.js";
import { resumablePlan } from "./resumable.js";
import { SseEventReader } from "./sse-events.js";
import { ResponseStitcher } from "./stitcher.js";

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const chat = { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 10, stream: true };

describe("resumablePlan", () => {
  it("takes chat and completions with one choice and nothing stateful", () => {
    expect(resumablePlan("/v1/chat/completions", json(chat))).toMatchObject({ kind: "chat", stream: true, maxTokens: 10, maxField: "max_tokens" });
    expect(resumablePlan("/v1/completions", json({ model: "m", prompt: "x" }))).toMatchObject({ kind: "completion", stream: false });
    expect(resumablePlan("/v1/chat/completions", json({ ...chat, max_completion_tokens: 7 }))?.maxField).toBe("max_completion_tokens");
    expect(resumablePlan("/v1/chat/completions", json({ ...chat, stream_options: {} }))?.includeUsage).toBe(true);
  });

  it("refuses what a continuation cannot carry over", () => {
    for (const extra of [
      { n: 2 },
      { best_of: 3 },
      { logprobs: true },
      { top_logprobs: 2 },
      { guided_json: {} },
      { response_format: { type: "json_schema" } },
      { tools: [{}] },
      { continue_final_message: true },
    ]) {
      expect(resumablePlan("/v1/chat/completions", json({ ...chat, ...extra })), JSON.stringify(extra)).toBeUndefined();
    }
    expect(resumablePlan("/v1/chat/completions", json({ ...chat, tools: [{}], tool_choice: "none" }))).toBeDefined();
    expect(resumablePlan("/v1/completions", json({ model: "m", prompt: ["a", "b"] }))).toBeUndefined();
    expect(resumablePlan("/v1/embeddings", json({ model: "m", input: "x" }))).toBeUndefined();
    expect(resumablePlan("/v1/chat/completions", Buffer.from("{"))).toBeUndefined();
  });
});

describe("partBody", () => {
  it("continues chat as the final assistant message and completions from prompt + text, with the limit lowered", () => {
    const plan = resumablePlan("/v1/chat/completions", json(chat));
    if (!plan) throw new Error("plan");
    const first = JSON.parse(partBody(plan, "m", "", 0, 0).toString()) as Record<string, unknown>;
    expect(first).toMatchObject({ stream: true, stream_options: { include_usage: true, continuous_usage_stats: true }, max_tokens: 10 });
    const next = JSON.parse(partBody(plan, "m", "so far", 4, 1).toString()) as Record<string, unknown>;
    expect(next).toMatchObject({ continue_final_message: true, add_generation_prompt: false, max_tokens: 6 });
    expect(next.messages).toEqual([...chat.messages, { role: "assistant", content: "so far" }]);
    const completion = resumablePlan("/v1/completions", json({ model: "m", prompt: "p:", max_tokens: 5 }));
    if (!completion) throw new Error("plan");
    expect(JSON.parse(partBody(completion, "m", " a b", 2, 1).toString())).toMatchObject({ prompt: "p: a b", max_tokens: 3 });
  });
});

describe("SseEventReader and ResponseStitcher", () => {
  it("splits events across chunk borders", () => {
    const reader = new SseEventReader();
    expect(reader.push(Buffer.from('data: {"a":1}\n\nda'))).toEqual(['{"a":1}']);
    expect(reader.push(Buffer.from("ta: [DONE]\r\n\r\n: comment\n\n"))).toEqual(["[DONE]"]);
  });

  it("keeps the first part's id, drops the second role chunk, and sums usage", () => {
    const plan = resumablePlan("/v1/chat/completions", json({ ...chat, stream_options: { include_usage: true } }));
    if (!plan) throw new Error("plan");
    const stitcher = new ResponseStitcher(plan);
    const chunk = (id: string, delta: Record<string, unknown>, completion: number, prompt: number, finish: string | null = null) =>
      JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created: id === "one" ? 1 : 2,
        model: "m",
        choices: [{ index: 0, delta, finish_reason: finish }],
        usage: { prompt_tokens: prompt, completion_tokens: completion },
      });
    expect(stitcher.step(chunk("one", { role: "assistant", content: "" }, 0, 5)).kind).toBe("chunk");
    const out = stitcher.step(chunk("one", { content: "a" }, 1, 5));
    expect(out.kind === "chunk" && JSON.parse(out.out.slice(6))).toMatchObject({ id: "one", created: 1 });
    expect(out.kind === "chunk" && "usage" in JSON.parse(out.out.slice(6))).toBe(false);
    stitcher.nextPart();
    expect(stitcher.step(chunk("two", { role: "assistant", content: "" }, 0, 7)).kind).toBe("skip");
    const last = stitcher.step(chunk("two", { content: " b" }, 1, 7, "length"));
    expect(last.kind === "chunk" && JSON.parse(last.out.slice(6))).toMatchObject({ id: "one", created: 1, choices: [{ finish_reason: "length" }] });
    expect(stitcher.text).toBe("a b");
    expect(stitcher.rereadTokens).toBe(7);
    expect(stitcher.usage()).toMatchObject({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    expect(stitcher.streamEnd()).toContain('"usage":{"prompt_tokens":5,"completion_tokens":2');
    expect(stitcher.step("[DONE]").kind).toBe("done");
  });
});
