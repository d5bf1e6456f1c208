import { describe, expect, it } from "vitest";
import { COLD_STEPS, TokenPacer } from "./token-pacer.js";

describe("TokenPacer", () => {
  it("paces against the first token: a late wake-up does not stretch the generation", () => {
    let now = 1000;
    const pacer = new TokenPacer(100, 1, () => now);
    pacer.started();
    expect(pacer.nextDelayMs()).toBe(10);
    // The timer fired 15 ms late: token 2 is already overdue and token 3 is due 5 ms later, not 10.
    now += 25;
    expect(pacer.nextDelayMs()).toBe(0);
    expect(pacer.nextDelayMs()).toBe(5);
    now += 5;
    // 100 tokens end at 1 s after the first, however late the loop ran in between.
    for (let step = 4; step < 100; step++) pacer.nextDelayMs();
    expect(pacer.nextDelayMs()).toBe(1000 - 30);
  });

  it("runs a cold request slower for its first steps only", () => {
    const now = 0;
    const pacer = new TokenPacer(100, 5, () => now);
    pacer.started();
    const delays = Array.from({ length: COLD_STEPS + 2 }, () => pacer.nextDelayMs());
    expect(delays[0]).toBe(50);
    expect(delays[COLD_STEPS - 1]).toBe(COLD_STEPS * 50);
    expect(delays[COLD_STEPS]).toBe(COLD_STEPS * 50 + 10);
    expect(delays[COLD_STEPS + 1]).toBe(COLD_STEPS * 50 + 20);
  });

  it("does not pace at 0 tokens per second", () => {
    expect(new TokenPacer(0).unpaced).toBe(true);
    expect(new TokenPacer(40).unpaced).toBe(false);
  });
});
