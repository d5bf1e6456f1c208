import { describe, expect, it } from "vitest";
import { topLevelMembers } from "./json-members.js";

const WANTED = new Set(["model", "stream", "max_tokens"]);

/** What JSON.parse makes of `bytes`: the wanted members' values, or "refused" (not JSON, or not an object). */
function byParse(bytes: Buffer): Record<string, unknown> | "refused" {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    return "refused";
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return "refused";
  return Object.fromEntries(Object.entries(parsed).filter(([name]) => WANTED.has(name)));
}

function byScan(bytes: Buffer): Record<string, unknown> | "refused" {
  const members = topLevelMembers(bytes, WANTED);
  if (members === undefined) return "refused";
  return Object.fromEntries([...members].map(([name, { start, end }]) => [name, JSON.parse(bytes.toString("utf8", start, end))]));
}

const seeds = [
  '{"model":"m1","messages":[{"role":"user","content":"hi"}],"max_tokens":8,"stream":true}',
  '{ "messages" : [ { "content" : "a \\"quoted\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 é ✓ 😀" } ] , "model" : "m\\u0031" }',
  '{"model":"a","model":"b","nested":{"model":"c","stream":false},"list":[1,-0.5e+3,0,1E2,true,false,null,{},[]],"stream":null}',
  '{"mod\\u0065l":"escaped key","max_tokens":-12.25e-1,"x":{"y":[[[]]]}}',
  "{}",
  '\t\r\n {"model":""} \n',
];

const cases: Array<[string, Buffer]> = [
  ...seeds.map((seed): [string, Buffer] => [seed, Buffer.from(seed)]),
  ["an array", Buffer.from('[{"model":"m1"}]')],
  ["a string", Buffer.from('"model"')],
  ["a byte-order mark first", Buffer.from(`\ufeff${seeds[0]}`)],
  ["invalid UTF-8 inside a string", Buffer.concat([Buffer.from('{"model":"m'), Buffer.from([0xc3, 0x28, 0xff, 0xe2, 0x82]), Buffer.from('"}')])],
  ["invalid UTF-8 outside strings", Buffer.concat([Buffer.from('{"model":"m"'), Buffer.from([0xc2, 0xa0]), Buffer.from("}")])],
  ["a raw control character in a string", Buffer.from('{"model":"m\u0001"}')],
  ["a lone surrogate escape", Buffer.from('{"model":"\\ud800"}')],
  ["trailing garbage", Buffer.from('{"model":"m"} x')],
  ["two objects", Buffer.from('{"model":"m"}{}')],
  ["a trailing comma", Buffer.from('{"model":"m",}')],
  ["leading zeros", Buffer.from('{"max_tokens":012}')],
  ["a bare exponent", Buffer.from('{"max_tokens":1e}')],
  ["NaN", Buffer.from('{"max_tokens":NaN}')],
  ["single quotes", Buffer.from("{'model':'m'}")],
  ["truncated", Buffer.from('{"model":"m","messages":[{"content":"a')],
  ["a short escape", Buffer.from('{"model":"\\u12"}')],
  ["deep nesting", Buffer.from(`{"model":"m","deep":${"[".repeat(5000)}${"]".repeat(5000)}}`)],
];

describe("topLevelMembers accepts exactly what JSON.parse accepts", () => {
  it.each(cases)("%s", (_name, bytes) => {
    const expected = byParse(bytes);
    const scanned = byScan(bytes);
    // Past 4,096 levels the scan leaves the body to JSON.parse.
    if (scanned === "refused" && bytes.includes("[".repeat(4097))) return;
    expect(scanned).toEqual(expected);
  });

  it("on 30,000 mutations of valid bodies", () => {
    // A fixed generator: the same cases on every run.
    let state = 0x2545f491;
    const random = (below: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % below;
    };
    const alphabet = Buffer.from(' \t\n\r"\\/:,{}[]-+.0123456789eEuabfnrtlsx');
    let refused = 0;
    for (let round = 0; round < 30_000; round++) {
      const bytes = Buffer.from(seeds[random(seeds.length)] as string);
      const edits = 1 + random(3);
      let mutated = bytes;
      for (let edit = 0; edit < edits; edit++) {
        const at = random(mutated.length + 1);
        const byte = random(10) === 0 ? random(256) : (alphabet[random(alphabet.length)] as number);
        const kind = random(3);
        if (kind === 0) mutated = Buffer.concat([mutated.subarray(0, at), Buffer.from([byte]), mutated.subarray(at)]);
        else if (kind === 1) mutated = Buffer.concat([mutated.subarray(0, at), mutated.subarray(at + 1)]);
        else if (at < mutated.length) mutated[at] = byte;
      }
      const expected = byParse(mutated);
      if (expected === "refused") refused++;
      expect(byScan(mutated), mutated.toString("latin1")).toEqual(expected);
    }
    // Both outcomes were exercised.
    expect(refused).toBeGreaterThan(1_000);
    expect(refused).toBeLessThan(29_000);
  });
});
