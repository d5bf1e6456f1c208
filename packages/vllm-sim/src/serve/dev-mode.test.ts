import { describe, expect, it } from "vitest";
import { parseDevMode } from "./dev-mode.js";

describe("parseDevMode", () => {
  it("parses like Python's bool(int(...))", () => {
    expect(parseDevMode(undefined)).toEqual({ ok: true, enabled: false });
    expect(parseDevMode("1")).toEqual({ ok: true, enabled: true });
    expect(parseDevMode("0")).toEqual({ ok: true, enabled: false });
    expect(parseDevMode(" 2 ")).toEqual({ ok: true, enabled: true });
    expect(parseDevMode("-1")).toEqual({ ok: true, enabled: true });
    expect(parseDevMode("true")).toMatchObject({ ok: false, error: expect.stringContaining("invalid literal for int()") });
    expect(parseDevMode("")).toMatchObject({ ok: false });
  });
});
