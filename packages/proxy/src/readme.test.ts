import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PROXY_ERROR_CODES } from "./errors.js";

describe("README", () => {
  it("lists exactly the error codes of the catalogue", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Error codes"));
    const listed = [...section.matchAll(/^\| `(LLMUX_ERR_[A-Z_]+)`/gm)].map((match) => match[1]);
    expect(listed.sort()).toEqual([...PROXY_ERROR_CODES].sort());
  });
});
