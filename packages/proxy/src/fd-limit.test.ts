import { describe, expect, it } from "vitest";
import { defaultMaxConnections, openFilesLimit } from "./fd-limit.js";

const limits = (soft: string) =>
  [
    "Limit                     Soft Limit           Hard Limit           Units",
    "Max processes             63704                63704                processes",
    `Max open files            ${soft}                20000                files`,
  ].join("\n");

describe("the default connection cap", () => {
  it("reads the soft open-files limit", () => {
    expect(openFilesLimit(limits("1024"))).toBe(1024);
    expect(openFilesLimit(limits("unlimited"))).toBe(Number.MAX_SAFE_INTEGER);
    expect(openFilesLimit("nothing here")).toBe(1024);
    expect(openFilesLimit()).toBeGreaterThan(0);
  });

  it("keeps room for an upstream socket per client and for llmux's own files", () => {
    expect(defaultMaxConnections(1024)).toBe(448);
    expect(defaultMaxConnections(20000)).toBe(9936);
    expect(defaultMaxConnections(100)).toBe(64);
    expect(defaultMaxConnections(Number.MAX_SAFE_INTEGER)).toBe(16384);
  });
});
