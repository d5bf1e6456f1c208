import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { faultNames } from "../src/engine/faults.js";
import { simErrorClasses } from "../src/errors.js";
import { knobNames } from "../src/serve/knobs.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README stays true to the code", () => {
  it("lists every error code with its class, and no other code", () => {
    for (const errorClass of simErrorClasses) {
      expect(readme).toContain(`| \`${errorClass.code}\` | \`${errorClass.name}\` |`);
    }
    const documented = [...readme.matchAll(/^\| `(LLMUX_ERR_[A-Z_]+)`/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(simErrorClasses.map((errorClass) => errorClass.code).sort());
  });

  it("documents every knob and every fault", () => {
    for (const knob of knobNames) expect(readme).toMatch(new RegExp(`^\\| \`${knob}\` \\|`, "m"));
    for (const fault of faultNames) expect(readme).toMatch(new RegExp(`^\\| \`${fault}\` \\|`, "m"));
  });
});
