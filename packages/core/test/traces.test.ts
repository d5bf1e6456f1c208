import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { alternatingTrace, burstyTrace } from "../src/sim/generate-trace.js";
import { formatTrace, parseTrace } from "../src/sim/trace.js";
import { simulateTrace } from "../src/sim/simulate-trace.js";
import { formatResultsMarkdown, formatResultsTable } from "../src/sim/format-table.js";

const TRACES = {
  "two-models-alternating.jsonl": () => alternatingTrace(),
  "four-models-bursty.jsonl": () => burstyTrace(),
};

function tracePath(name: string): URL {
  return new URL(`../traces/${name}`, import.meta.url);
}

describe("committed traces", () => {
  for (const [name, generate] of Object.entries(TRACES)) {
    it(`${name} matches its generator (LLMUX_WRITE_TRACES=1 rewrites it)`, () => {
      const expected = formatTrace(generate());
      if (process.env.LLMUX_WRITE_TRACES === "1") writeFileSync(tracePath(name), expected);
      expect(readFileSync(tracePath(name), "utf8")).toBe(expected);
    });

    it(`${name}: every policy serves every request, deterministically`, async () => {
      const trace = parseTrace(readFileSync(tracePath(name), "utf8"));
      const first = await simulateTrace({ trace });
      const second = await simulateTrace({ trace });
      expect(second).toEqual(first);
      for (const result of first) {
        expect(result.served).toBe(trace.length);
        expect(result.failed).toBe(0);
      }
      if (process.env.LLMUX_PRINT_TABLES === "1") console.log(`${name}\n${formatResultsTable(first)}\n\n${formatResultsMarkdown(first)}`);
    });
  }
});

describe("parseTrace", () => {
  it("skips blanks and comments, sorts by time, and names a bad line", () => {
    expect(parseTrace('# hi\n{"t": 2, "model": "b", "tokens": 1}\n\n{"t": 1, "model": "a", "tokens": 5}\n')).toEqual([
      { t: 1, model: "a", tokens: 5 },
      { t: 2, model: "b", tokens: 1 },
    ]);
    expect(() => parseTrace('{"t": 1, "model": "a", "tokens": 1}\n{"t": -1, "model": "a"}')).toThrow(/trace line 2/);
    expect(() => parseTrace("nope")).toThrow(/trace line 1: not JSON/);
  });
});
