import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The published types are the built declarations: run `pnpm build` first.
const dts = new URL("../dist/index.d.ts", import.meta.url);
const src = new URL("../src/", import.meta.url);

/** What embedders may use of `Multiplexer`; the rest of its state lives in the internal `MuxState`. */
const PUBLIC_MEMBERS = [
  "#private",
  "constructor",
  "get config",
  "get policy",
  "get clock",
  "on",
  "get closed",
  "acquire",
  "reconfigure",
  "snapshot",
  "sleepModel",
  "wakeModel",
  "preload",
  "stopModel",
  "close",
  "destroy",
];

/** Internal modules' types and members: none may appear in the published declarations. */
const INTERNAL_NAMES = [
  "MuxState",
  "SwitchRunner",
  "SwitchDraft",
  "Slot",
  "Waiter",
  "LeaseImpl",
  "IdleTimer",
  "EngineCall",
  "enginePhase",
  "timedPhase",
  "setState",
  "rejectWaiter",
  "revokeLeases",
  "rejectAllWaiters",
];

function classMembers(text: string, name: string): string[] {
  const start = text.indexOf(`declare class ${name} {`);
  if (start < 0) throw new Error(`declare class ${name} not found in index.d.ts`);
  const body = text.slice(text.indexOf("{", start) + 1, text.indexOf("\n}", start));
  const withoutComments = body.replace(/\/\*\*[\s\S]*?\*\//g, "");
  // A member starts a line at the class's indentation; continuation lines of a signature are deeper.
  return withoutComments
    .split("\n")
    .filter((line) => /^ {4}\S/.test(line))
    .map((line) => /^ {4}((?:readonly |get |set |static )*[#\w]+)/.exec(line)?.[1] ?? line.trim());
}

describe("the published surface of @llmux/core", () => {
  it("has been built", () => {
    expect(existsSync(dts), "packages/core/dist/index.d.ts is missing: run pnpm build").toBe(true);
  });

  it("shows only the public members of Multiplexer, none of them writable", () => {
    const text = readFileSync(dts, "utf8");
    expect(classMembers(text, "Multiplexer")).toEqual(PUBLIC_MEMBERS);
  });

  it("shows no internal member, state object or helper", () => {
    const text = readFileSync(dts, "utf8");
    expect(text).not.toContain("@internal");
    const found = INTERNAL_NAMES.filter((name) => new RegExp(`\\b${name}\\b`).test(text));
    expect(found).toEqual([]);
  });

  it("no internal module imports Multiplexer: they take the MuxState it keeps private", () => {
    const importers = readdirSync(src)
      .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts") && file !== "index.ts" && file !== "multiplexer.ts")
      .filter((file) => /from "\.\/multiplexer\.js"/.test(readFileSync(new URL(file, src), "utf8")));
    expect(importers).toEqual([]);
  });
});
