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
    tracker.push(Buffer.from("\r\n"));
    expect(tracker.midEvent).toBe(true);
    tracker.push(Buffer.from("\n"));
    tracker.push(Buffer.from("\n"));
    expect(tracker.midEvent).toBe(false);
  });
});
