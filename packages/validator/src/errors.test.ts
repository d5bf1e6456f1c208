import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { LlmuxError } from "@llmux/types";
import * as errors from "./errors.js";

describe("error catalogue", () => {
  it("matches the codes the README lists", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const documented = [...readme.matchAll(/`(LLMUX_ERR_[A-Z_]+)`/g)].map((match) => match[1]);
    expect(new Set(documented)).toEqual(new Set(errors.ERROR_CODES));
  });

  it("has one LlmuxError class per code", () => {
    const instances = [
      new errors.NvidiaSmiMissingError("nvidia-smi"),
      new errors.NvidiaSmiFailedError("nvidia-smi", "x"),
      new errors.ValidateOptionsError("x"),
      new errors.ProbeRequestError("x"),
      new errors.AbortedError(),
    ];
    for (const error of instances) expect(error).toBeInstanceOf(LlmuxError);
    expect(instances.map((error) => error.code).sort()).toEqual([...errors.ERROR_CODES].sort());
  });
});
