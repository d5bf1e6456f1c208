import { describe, expect, it } from "vitest";
import { generateAnswer } from "./answer.js";

const base = { model: "m", input: "hello", temperature: 0, seed: undefined, garbageWeights: false };

describe("generateAnswer", () => {
  it("is a pure function of model and input when greedy or seeded", () => {
    expect(generateAnswer(base)).toEqual(generateAnswer(base));
    expect(generateAnswer({ ...base, temperature: 1, seed: 7 })).toEqual(generateAnswer({ ...base, temperature: 0.5, seed: 7 }));
    expect(generateAnswer(base).tokens[0]).toBe("[m]");
    expect(generateAnswer({ ...base, input: "other" }).tokens).not.toEqual(generateAnswer(base).tokens);
    expect(generateAnswer({ ...base, model: "n" }).tokens.slice(1)).not.toEqual(generateAnswer(base).tokens.slice(1));
  });

  it("answers 8 to 40 tokens, gibberish with garbage weights", () => {
    for (const input of ["a", "b", "c", "d"]) {
      const length = generateAnswer({ ...base, input }).tokens.length;
      expect(length).toBeGreaterThanOrEqual(8);
      expect(length).toBeLessThanOrEqual(40);
    }
    const garbled = generateAnswer({ ...base, garbageWeights: true }).tokens;
    expect(garbled).not.toContain("[m]");
  });
});
