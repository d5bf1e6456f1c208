import { describe, expect, it } from "vitest";
import { levelTwoWakeKnobs } from "./level-two-wake.js";

describe("levelTwoWakeKnobs", () => {
  it("splits the whole wake over two wake calls and the reload, the reload the largest", () => {
    for (const total of [3, 80, 800, 8000]) {
      const knobs = levelTwoWakeKnobs(total);
      expect(2 * knobs["wake2-ms"] + knobs["reload-ms"]).toBe(total);
      if (total >= 8) expect(knobs["reload-ms"]).toBeGreaterThan(knobs["wake2-ms"]);
    }
    expect(levelTwoWakeKnobs(8000)).toEqual({ "wake2-ms": 1000, "reload-ms": 6000 });
  });

  it("never asks for a zero-length call", () => {
    expect(levelTwoWakeKnobs(1)).toEqual({ "wake2-ms": 1, "reload-ms": 1 });
  });
});
