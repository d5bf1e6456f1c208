import { describe, expect, it } from "vitest";
import { originOf, summarizeProfile, type CpuProfile } from "./cpu-profile.js";

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

describe("summarizeProfile", () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", "") },
      { id: 2, callFrame: frame("(idle)", "") },
      { id: 3, callFrame: frame("forward", "file:///work/main/packages/proxy/dist/index.js", 9) },
      { id: 4, callFrame: frame("parse", "file:///work/main/node_modules/.pnpm/undici@7.30.2/node_modules/undici/lib/llhttp.js", 99) },
      { id: 5, callFrame: frame("forward", "file:///work/main/packages/proxy/dist/index.js", 9) },
      { id: 6, callFrame: frame("(garbage collector)", "") },
    ],
    samples: [2, 3, 4, 5, 3, 6, 2],
    timeDeltas: [0, 1000, 3000, 2000, 1000, 1000, 1000],
  };

  it("adds up self time per function, without idle time, the hottest first", () => {
    const summary = summarizeProfile(profile);
    // Sample i ran for timeDeltas[i + 1]: idle 1, forward 3 + 1 + 1, parse 2, GC 1.
    expect(summary.idleMs).toBe(1);
    expect(summary.busyMs).toBe(8);
    expect(summary.functions[0]).toMatchObject({ name: "forward", where: "packages/proxy/dist/index.js:10", selfMs: 5, percent: 62.5 });
    expect(summary.functions[1]).toMatchObject({ name: "parse", where: "undici/lib/llhttp.js:100", selfMs: 2 });
  });

  it("groups self time by origin", () => {
    const origins = Object.fromEntries(summarizeProfile(profile).origins.map((entry) => [entry.origin, entry.selfMs]));
    expect(origins).toEqual({ "@llmux/proxy": 5, undici: 2, GC: 1 });
  });
});

describe("summarizeProfile with a window", () => {
  it("counts only the samples taken inside the window (the load, not the start-up)", () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame("compile", "node:internal/modules/cjs/loader") },
        { id: 2, callFrame: frame("forward", "file:///r/packages/proxy/dist/index.js") },
      ],
      startTime: 1_000_000,
      samples: [1, 1, 2, 2],
      timeDeltas: [0, 1000, 1000_000, 1000],
    };
    // Sample times: 1_000_000, 1_001_000, 2_001_000, 2_002_000.
    const summary = summarizeProfile(profile, 10, { fromUs: 2_000_000, toUs: 3_000_000 });
    expect(summary.functions.map((fn) => fn.name)).toEqual(["forward"]);
  });
});

describe("inclusive time of our functions", () => {
  it("adds callees to our frames and counts a recursive frame once", () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame("(root)", ""), children: [2] },
        { id: 2, callFrame: frame("handle", "file:///r/packages/proxy/dist/index.js", 1), children: [3, 4] },
        { id: 3, callFrame: frame("write", "node:net"), children: [] },
        { id: 4, callFrame: frame("handle", "file:///r/packages/proxy/dist/index.js", 1), children: [5] },
        { id: 5, callFrame: frame("parse", "file:///r/node_modules/.pnpm/undici@7/node_modules/undici/x.js") },
      ],
      samples: [2, 3, 5, 5],
      timeDeltas: [0, 1000, 2000, 3000],
    };
    // Self: handle(2) 1 ms, write 2 ms, parse 3 ms (+0 for the last sample).
    const summary = summarizeProfile(profile);
    expect(summary.ours).toEqual([{ name: "handle", where: "packages/proxy/dist/index.js:2", selfMs: 6, percent: 100 }]);
  });
});

describe("originOf", () => {
  it("names node internals, scoped dependencies and our packages", () => {
    expect(originOf("node:internal/http", "x")).toBe("node internals");
    expect(originOf("file:///r/node_modules/.pnpm/pino@10.4.0/node_modules/pino/lib/x.js", "x")).toBe("pino");
    expect(originOf("file:///r/node_modules/.pnpm/@llmux+core@x/node_modules/@llmux/core/dist/i.js", "x")).toBe("@llmux/core");
    expect(originOf("file:///r/packages/cli/dist/cli.js", "x")).toBe("@llmux/cli");
  });
});
