import { describe, expect, it } from "vitest";
import { parseFraction, parseLevels, parseValidateArgs } from "./cli-options.js";

const quiet = { writeOut: () => undefined, writeErr: () => undefined };

describe("parseLevels", () => {
  it("reads comma-separated levels 1 to 3", () => {
    expect(parseLevels("1,2")).toEqual([1, 2]);
    expect(parseLevels("3, 1")).toEqual([3, 1]);
  });
  it("rejects other values and repeats", () => {
    expect(() => parseLevels("0")).toThrow(expect.objectContaining({ code: "LLMUX_ERR_VALIDATE_OPTIONS" }));
    expect(() => parseLevels("1,,2")).toThrow(/invalid level ""/);
    expect(() => parseLevels("1,1")).toThrow(/repeats/);
  });
});

describe("parseFraction", () => {
  it("accepts (0, 1]", () => {
    expect(parseFraction("0.8", "--min-release")).toBe(0.8);
    expect(parseFraction("1", "--min-release")).toBe(1);
    expect(() => parseFraction("0", "--min-release")).toThrow(/\(0, 1\]/);
    expect(() => parseFraction("80", "--min-release")).toThrow();
    expect(() => parseFraction("", "--min-release")).toThrow();
  });
});

describe("parseValidateArgs", () => {
  it("applies the defaults", () => {
    expect(parseValidateArgs(["--config", "c.json", "--model", "qwen"], quiet)).toEqual({
      config: "c.json",
      model: "qwen",
      levels: [1, 2],
      verbose: false,
      json: false,
      nvidiaSmi: "nvidia-smi",
      minRelease: 0.8,
      minRestore: 0.8,
    });
  });

  it("accepts --validate as an alias of --model, and every option", () => {
    expect(
      parseValidateArgs(
        [
          "--config",
          "c.json",
          "--validate",
          "qwen",
          "--levels",
          "1,2,3",
          "--verbose",
          "--json",
          "--nvidia-smi",
          "/opt/smi",
          "--min-release",
          "0.5",
          "--min-restore",
          "0.9",
        ],
        quiet,
      ),
    ).toEqual({ config: "c.json", model: "qwen", levels: [1, 2, 3], verbose: true, json: true, nvidiaSmi: "/opt/smi", minRelease: 0.5, minRestore: 0.9 });
  });

  it("rejects a missing model, conflicting names and bad values", () => {
    expect(() => parseValidateArgs(["--config", "c.json"], quiet)).toThrow(/--model <name>/);
    expect(() => parseValidateArgs(["--config", "c.json", "--model", "a", "--validate", "b"], quiet)).toThrow(/different models/);
    expect(() => parseValidateArgs(["--config", "c.json", "--model", "a", "--levels", "4"], quiet)).toThrow(
      expect.objectContaining({ code: "commander.invalidArgument" }),
    );
    expect(() => parseValidateArgs(["--model", "a"], quiet)).toThrow(expect.objectContaining({ code: "commander.missingMandatoryOptionValue" }));
  });
});
