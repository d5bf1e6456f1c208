import { describe, expect, it } from "vitest";
import { SseTiming } from "./sse-timing.js";

const event = (content: string, t: bigint): string =>
  `data: {"choices":[{"index":0,"delta":{"content":"${content}"}}],"t":"${t.toString().padStart(20, "0")}"}\n\n`;

describe("SseTiming", () => {
  it("times each event by the chunk that completed it, across split chunks", () => {
    const timing = new SseTiming();
    const role = 'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"t":"00000000000000000100"}\n\n';
    const one = event("a", 1000n);
    const two = event("b", 2000n);
    timing.push(Buffer.from(role + one.slice(0, 10), "latin1"), 500n);
    timing.push(Buffer.from(one.slice(10) + two, "latin1"), 2500n);
    timing.push(Buffer.from("data: [DONE]\n\n", "latin1"), 2600n);
    expect(timing.delaysNs).toEqual([400n, 1500n, 500n]);
    expect(timing.tokens).toBe(2);
    expect(timing.events).toBe(4);
    expect(timing.done).toBe(true);
    expect(timing.bytes).toBe(Buffer.byteLength(`${role + one + two}data: [DONE]\n\n`));
  });

  it("counts tokens of upstreams without stamps", () => {
    const timing = new SseTiming();
    timing.push(Buffer.from('data: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n'), 1n);
    expect(timing.tokens).toBe(1);
    expect(timing.delaysNs).toEqual([]);
  });
});
