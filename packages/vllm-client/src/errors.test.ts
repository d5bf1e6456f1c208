import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCatalogue, PortInUseError, StartFailedError } from "./errors.js";
import { LlmuxError } from "@llmux/types";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("error catalogue", () => {
  it("every class has the code it is listed under and extends LlmuxError", () => {
    for (const [code, ErrorClass] of Object.entries(errorCatalogue)) {
      // Construct with the fewest arguments each class accepts.
      const error = new (ErrorClass as unknown as new (...args: unknown[]) => LlmuxError)("x", 1, 2, "b");
      expect(error).toBeInstanceOf(LlmuxError);
      expect(error.code).toBe(code);
      expect(error.name).toBe(ErrorClass.name);
    }
  });

  it("the README lists exactly the catalogue's codes", () => {
    const documented = new Set([...readme.matchAll(/^\| `(LLMUX_ERR_[A-Z_]+)` \|/gm)].map((match) => match[1]));
    expect([...documented].sort()).toEqual(Object.keys(errorCatalogue).sort());
  });

  it("keeps the cause and puts the last lines in the message", () => {
    const cause = new Error("boom");
    const error = new StartFailedError("exited with code 1", { cause, exitCode: 1, lastLines: ["a", "ValueError: no"] });
    expect(error.cause).toBe(cause);
    expect(error.message).toContain("ValueError: no");
    expect(error.lastLines).toEqual(["a", "ValueError: no"]);
    expect(error.status).toBeUndefined();
  });

  it("names the port", () => {
    expect(new PortInUseError("127.0.0.1", 8123).message).toContain("8123");
  });
});
