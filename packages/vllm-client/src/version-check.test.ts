import { describe, expect, it } from "vitest";
import { isBrokenSleepVersion } from "./version-check.js";

describe("isBrokenSleepVersion", () => {
  it.each([
    ["0.13.0", false],
    ["0.13.2", false],
    ["0.14.0", true],
    ["0.14.1rc1", true],
    ["0.15.0+cu128", true],
    ["v0.16.3", true],
    ["0.17.0", false],
    ["0.18.1", false],
    ["1.0.0", false],
    ["0.11", false],
    ["0.14", true],
    ["dev", false],
    ["", false],
  ])("%s → %s", (version, broken) => {
    expect(isBrokenSleepVersion(version)).toBe(broken);
  });
});
