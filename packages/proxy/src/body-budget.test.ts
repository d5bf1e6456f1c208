import { describe, expect, it } from "vitest";
import { BodyBudget, withinBudget } from "./body-budget.js";

describe("withinBudget", () => {
  it("reserves a declared length before reading, the actual one after, and gives all back", async () => {
    const budget = new BodyBudget(100);
    let readCalled = false;
    const refused = await withinBudget(
      budget,
      101,
      async () => {
        readCalled = true;
        return Buffer.alloc(0);
      },
      async () => "used",
    ).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "LLMUX_ERR_CAPACITY", status: 503 });
    expect(readCalled).toBe(false);

    const seen: number[] = [];
    await withinBudget(
      budget,
      60,
      async () => Buffer.alloc(40),
      async () => {
        seen.push(budget.used);
        // Another body while this one is held: 40 + 70 does not fit, 40 + 60 does.
        await expect(
          withinBudget(
            budget,
            70,
            async () => Buffer.alloc(70),
            async () => "x",
          ),
        ).rejects.toMatchObject({ code: "LLMUX_ERR_CAPACITY" });
        await withinBudget(
          budget,
          0,
          async () => Buffer.alloc(60),
          async () => seen.push(budget.used),
        );
      },
    );
    expect(seen).toEqual([40, 100]);
    expect(budget.used).toBe(0);
    await expect(
      withinBudget(
        budget,
        10,
        async () => Buffer.alloc(10),
        async () => Promise.reject(new Error("boom")),
      ),
    ).rejects.toThrow("boom");
    expect(budget.used).toBe(0);
  });
});
