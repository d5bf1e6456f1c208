import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SCENARIO_IDS, USAGE } from "./args.js";
import { benchRoot } from "./paths.js";
import { README_END, README_START } from "./report.js";

const readme = readFileSync(join(benchRoot, "README.md"), "utf8");

describe("bench/README.md", () => {
  it("documents every scenario and every option", () => {
    for (const id of SCENARIO_IDS) expect(readme).toContain(`\`${id}\``);
    const flags = [...new Set(USAGE.match(/--[a-z-]+/g) ?? [])];
    expect(flags.length).toBeGreaterThan(5);
    for (const flag of flags) expect(readme).toContain(flag);
  });

  it("has the markers the results are written between", () => {
    expect(readme.indexOf(README_START)).toBeGreaterThan(0);
    expect(readme.indexOf(README_END)).toBeGreaterThan(readme.indexOf(README_START));
  });
});
