import { describe, expect, it } from "vitest";
import { parseSwitchLog } from "./switch.js";

describe("parseSwitchLog", () => {
  it("reads llmux's switch-end line and ignores every other line", () => {
    const line = JSON.stringify({
      level: 30,
      time: 1,
      msg: "switch 3 to b ok in 0.3s",
      switch_id: 3,
      from: ["a"],
      to: "b",
      result: "ok",
      duration_ms: 312,
      phases: [
        { phase: "sleep", model: "a", durationMs: 204, level: 1, ok: true },
        { phase: "wake", model: "b", durationMs: 107, level: 1, ok: true },
      ],
    });
    expect(parseSwitchLog(line)).toMatchObject({ duration_ms: 312, to: "b", phases: [{ phase: "sleep", durationMs: 204 }, { phase: "wake" }] });
    expect(parseSwitchLog(JSON.stringify({ switch_id: 3, msg: "switch 3: a -> b", from: ["a"], to: "b" }))).toBeUndefined();
    expect(parseSwitchLog("(APIServer pid=1) INFO phases")).toBeUndefined();
    expect(parseSwitchLog('{"switch_id": 1, "phases": [')).toBeUndefined();
  });
});
