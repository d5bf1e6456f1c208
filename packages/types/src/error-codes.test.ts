import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "./error-codes.js";
import { LlmuxError } from "./llmux-error.js";
import { AbortedError, ShuttingDownError } from "./shared-errors.js";

const packagesDir = fileURLToPath(new URL("../../", import.meta.url));
const owners = [...new Set(Object.values(ERROR_CODES))];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Codes a package's sources define: the first argument of a constructor call or a static `code`. */
function definedCodes(pkg: string): string[] {
  const defining = /(?:super\(\s*|static readonly code = )"(LLMUX_ERR_[A-Z_]+)"/g;
  return sourceFiles(join(packagesDir, pkg, "src")).flatMap((file) => [...readFileSync(file, "utf8").matchAll(defining)].map((match) => match[1] as string));
}

describe("the error code table", () => {
  it("every package defines exactly the codes the table gives it, each once", () => {
    const all: string[] = [];
    for (const pkg of readdirSync(packagesDir)) {
      const defined = definedCodes(pkg);
      all.push(...defined);
      const listed = Object.entries(ERROR_CODES)
        .filter(([, owner]) => owner === pkg)
        .map(([code]) => code);
      expect([...new Set(defined)].sort(), pkg).toEqual(listed.sort());
    }
    const twice = all.filter((code, index) => all.indexOf(code) !== index);
    expect(twice).toEqual([]);
  });

  it.each(owners)("the README of %s documents each of its codes in a table row", (pkg) => {
    const readme = readFileSync(join(packagesDir, pkg, "README.md"), "utf8");
    const documented = new Set([...readme.matchAll(/^\| `(LLMUX_ERR_[A-Z_]+)` \|/gm)].map((match) => match[1]));
    for (const [code, owner] of Object.entries(ERROR_CODES)) {
      if (owner === pkg) expect(documented.has(code), `${code} in packages/${pkg}/README.md`).toBe(true);
    }
  });

  it("every code a README documents exists", () => {
    for (const pkg of owners) {
      const readme = readFileSync(join(packagesDir, pkg, "README.md"), "utf8");
      for (const match of readme.matchAll(/`(LLMUX_ERR_[A-Z_]+)`/g)) expect(Object.keys(ERROR_CODES), pkg).toContain(match[1]);
    }
  });
});

describe("LlmuxError.isInstance", () => {
  it("recognises an error from another copy of the package by its marker, not its prototype", () => {
    const foreign = Object.assign(new Error("from elsewhere"), { code: "LLMUX_ERR_ABORTED", [Symbol.for("llmux.error")]: true });
    expect(foreign instanceof LlmuxError).toBe(false);
    expect(LlmuxError.isInstance(foreign)).toBe(true);
    expect(LlmuxError.isInstance(foreign, "LLMUX_ERR_ABORTED")).toBe(true);
    expect(LlmuxError.isInstance(foreign, "LLMUX_ERR_CONFIG")).toBe(false);
  });

  it("refuses look-alikes without the marker", () => {
    expect(LlmuxError.isInstance(Object.assign(new Error("x"), { code: "LLMUX_ERR_ABORTED" }))).toBe(false);
    expect(LlmuxError.isInstance(null)).toBe(false);
    expect(LlmuxError.isInstance("LLMUX_ERR_ABORTED")).toBe(false);
  });

  it("carries code, status, retryAfterSecs and cause", () => {
    const cause = new Error("signal");
    const aborted = new AbortedError("gone", { cause });
    expect(aborted).toMatchObject({ code: "LLMUX_ERR_ABORTED", status: 499, cause, name: "AbortedError" });
    expect(new ShuttingDownError()).toMatchObject({ code: "LLMUX_ERR_SHUTTING_DOWN", status: 503, retryAfterSecs: 5 });
    expect(LlmuxError.isInstance(aborted, "LLMUX_ERR_ABORTED")).toBe(true);
  });
});
