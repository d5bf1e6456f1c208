import { describe, expect, it } from "vitest";
import { formatConfigIssues, formatIssuePath, hasConfigIssues } from "./format-config-error.js";

describe("formatIssuePath", () => {
  it("quotes user-chosen names and dots config fields", () => {
    expect(formatIssuePath(["models", "a", "port"])).toBe('models["a"].port');
    expect(formatIssuePath(["models", "qwen-7b", "extra_args", 2])).toBe('models["qwen-7b"].extra_args[2]');
    expect(formatIssuePath(["models", "a", "env", "HF_HOME"])).toBe('models["a"].env["HF_HOME"]');
    expect(formatIssuePath(["policy", "sleep_level"])).toBe("policy.sleep_level");
    expect(formatIssuePath([])).toBe("(top level)");
    expect(formatIssuePath('models["a"].port')).toBe('models["a"].port');
  });
});

describe("formatConfigIssues", () => {
  it("prefixes each issue with the file", () => {
    const issues = [{ path: 'models["a"].port', message: 'expected int, found the string "x"' }];
    expect(formatConfigIssues("config.json", issues)).toEqual(['config.json: models["a"].port: expected int, found the string "x"']);
  });
  it("recognises errors that carry issues", () => {
    expect(hasConfigIssues(Object.assign(new Error("x"), { issues: [{ path: "", message: "m" }] }))).toBe(true);
    expect(hasConfigIssues(new Error("x"))).toBe(false);
    expect(hasConfigIssues({ issues: [] })).toBe(false);
  });
});
