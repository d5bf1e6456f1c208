import { describe, expect, it } from "vitest";
import { replaceModelField } from "./json-model-field.js";

const replaced = (json: string, model = "qwen"): string => replaceModelField(Buffer.from(json), model).toString("utf8");

describe("replaceModelField", () => {
  it("replaces only the top-level model value, byte for byte elsewhere", () => {
    const body = '{ "seed": 12345678901234567890, "temperature": 1.0,\n "model" : "gpt-4o-mini", "x": "é"}';
    expect(replaced(body)).toBe('{ "seed": 12345678901234567890, "temperature": 1.0,\n "model" : "qwen", "x": "é"}');
  });

  it("skips nested objects, arrays and strings that mention model", () => {
    const body = '{"messages":[{"role":"user","content":"\\"model\\": \\"x\\" {"}],"meta":{"model":"inner"},"model":"alias","stream":true}';
    const out = JSON.parse(replaced(body)) as Record<string, unknown>;
    expect(out).toEqual({ messages: [{ role: "user", content: '"model": "x" {' }], meta: { model: "inner" }, model: "qwen", stream: true });
  });

  it("escapes the new name and leaves a body without a model string alone", () => {
    expect(JSON.parse(replaced('{"model":"a"}', 'we"ird')).model).toBe('we"ird');
    const body = Buffer.from('{"model":42,"n":null}');
    expect(replaceModelField(body, "qwen")).toBe(body);
  });
});
