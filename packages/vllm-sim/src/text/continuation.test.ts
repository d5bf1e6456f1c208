import { describe, expect, it } from "vitest";
import { generateAnswer } from "./answer.js";
import { continuationOffset, splitCompletionPrompt } from "./continuation.js";

describe("continuation", () => {
  const tokens = generateAnswer({ model: "m", input: "hello", temperature: 0, seed: undefined, garbageWeights: false, ignoreEosUntil: 30 }).tokens;

  it("finds where the model's own text stops, whatever the spacing", () => {
    expect(continuationOffset(tokens, "")).toBe(0);
    expect(continuationOffset(tokens, tokens.slice(0, 5).join(" "))).toBe(5);
    expect(continuationOffset(tokens, `${tokens.slice(0, 3).join(" ")} `)).toBe(3);
  });

  it("treats text the model did not write as foreign", () => {
    expect(continuationOffset(tokens, "[m] something else")).toBeUndefined();
    expect(continuationOffset(tokens.slice(0, 2), tokens.slice(0, 3).join(" "))).toBeUndefined();
  });

  it("splits a completion prompt at the last answer marker", () => {
    expect(splitCompletionPrompt("once upon[m] a time", "m")).toEqual({ original: "once upon", partial: "[m] a time" });
    expect(splitCompletionPrompt("[m] old [m] new", "m")).toEqual({ original: "[m] old ", partial: "[m] new" });
    expect(splitCompletionPrompt("no marker", "m")).toBeUndefined();
  });
});
