import { describe, expect, it } from "vitest";
import { SseBoundaryTracker } from "./sse.js";

describe("SseBoundaryTracker", () => {
  it("knows whether forwarded bytes stop inside an event", () => {
    const tracker = new SseBoundaryTracker();
    expect(tracker.midEvent).toBe(false);
    tracker.push(Buffer.from('data: {"a":1}\n\n'));
    expect(tracker.midEvent).toBe(false);
    tracker.push(Buffer.from('data: {"a"'));
    expect(tracker.midEvent).toBe(true);
    tracker.push(Buffer.from(":2}\n"));
    expect(tracker.midEvent).toBe(true);
    tracker.push(Buffer.from("\n"));
    expect(tracker.midEvent).toBe(false);
    expect(tracker.done).toBe(false);
    tracker.push(Buffer.from("data: [DONE]\n\n"));
    expect(tracker.done).toBe(true);
  });
});
