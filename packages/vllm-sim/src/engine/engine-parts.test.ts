import { describe, expect, it } from "vitest";
import { FaultBox } from "./faults.js";
import { memoryModel, usedMib } from "./memory.js";
import { RequestGate } from "./request-gate.js";

describe("FaultBox", () => {
  it("fires an armed fault count times, and rejects unknown names", () => {
    const box = new FaultBox();
    box.arm("fail_sleep", 2);
    expect([box.take("fail_sleep"), box.take("fail_sleep"), box.take("fail_sleep")]).toEqual([true, true, false]);
    expect(() => box.arm("nope")).toThrow(expect.objectContaining({ code: "LLMUX_ERR_SIM_UNKNOWN_FAULT" }));
  });
});

describe("memory", () => {
  const model = memoryModel({ utilization: 0.9, totalMib: 1000, weightsMib: 300, contextMib: 100, sleepFreesNothing: false });
  it("holds the fraction awake, the context asleep, and the parts of a partial wake", () => {
    expect(usedMib(model, new Set())).toBe(900);
    expect(usedMib(model, new Set(["weights", "kv_cache"]))).toBe(100);
    expect(usedMib(model, new Set(["kv_cache"]))).toBe(400);
    expect(usedMib({ ...model, sleepFreesNothing: true }, new Set(["weights", "kv_cache"]))).toBe(900);
  });
});

describe("RequestGate", () => {
  it("holds waiters until every reason is cleared, and lets an aborted waiter go", async () => {
    const gate = new RequestGate();
    gate.close("pause");
    gate.close("engine-call");
    const passed: string[] = [];
    const first = gate.pass(new AbortController().signal).then((ok) => passed.push(`first:${ok}`));
    const controller = new AbortController();
    const second = gate.pass(controller.signal).then((ok) => passed.push(`second:${ok}`));
    expect(gate.waiting).toBe(2);
    controller.abort();
    await second;
    expect(gate.waiting).toBe(1);
    gate.open("pause");
    await Promise.resolve();
    expect(passed).toEqual(["second:false"]);
    gate.open("engine-call");
    await first;
    expect(passed).toEqual(["second:false", "first:true"]);
  });
});
