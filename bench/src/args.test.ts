import { describe, expect, it } from "vitest";
import { parseArgs } from "./args.js";

describe("parseArgs", () => {
  it("defaults to a full run that updates the README", () => {
    expect(parseArgs([])).toEqual({ quick: false, only: [], allowInstall: true, profile: true, nginxWorkers: 1, writeReadme: true, withoutLlmux: false });
  });

  it("never writes the README from a quick or partial run unless asked", () => {
    expect(parseArgs(["--quick"])).toMatchObject({ quick: true, writeReadme: false, profile: false });
    expect(parseArgs(["--quick", "--only", "profile"])).toMatchObject({ profile: true });
    expect(parseArgs(["--only", "overhead,streaming"])).toMatchObject({ only: ["overhead", "streaming"], writeReadme: false });
    expect(parseArgs(["--quick", "--readme"])).toMatchObject({ writeReadme: true });
  });

  it("skips the -- that pnpm passes through", () => {
    expect(parseArgs(["--", "--quick"])).toMatchObject({ quick: true });
  });

  it("rejects unknown arguments and scenarios", () => {
    expect(() => parseArgs(["--fast"])).toThrow(/unknown argument --fast/);
    expect(() => parseArgs(["--only", "nope"])).toThrow(/unknown scenario nope/);
    expect(() => parseArgs(["--nginx-workers", "0"])).toThrow(/positive integer/);
  });

  it("takes the soak's length, and refuses one too short to sample in tenths", () => {
    expect(parseArgs(["--soak", "1000000"])).toMatchObject({ soak: 1_000_000 });
    expect(parseArgs([])).not.toHaveProperty("soak");
    expect(() => parseArgs(["--soak", "10"])).toThrow(/--soak must be/);
    expect(() => parseArgs(["--soak", "1e9x"])).toThrow(/--soak must be/);
  });

  it("answers --help with the usage", () => {
    expect(parseArgs(["--help"])).toHaveProperty("help");
  });
});
