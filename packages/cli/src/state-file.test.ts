import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateFile, defaultStateFilePath } from "./state-file.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "llmux-state-test-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("defaultStateFilePath", () => {
  it("prefers LLMUX_STATE_FILE, then XDG_STATE_HOME, then ~/.local/state", () => {
    expect(defaultStateFilePath(3000, { LLMUX_STATE_FILE: "/x/y.json", XDG_STATE_HOME: "/s" })).toBe("/x/y.json");
    expect(defaultStateFilePath(3000, { XDG_STATE_HOME: "/s" })).toBe("/s/llmux/3000.json");
    expect(defaultStateFilePath(4000, {})).toMatch(/\/\.local\/state\/llmux\/4000\.json$/);
    // Port 0: a free port each run, so no shared name for two instances to fight over.
    expect(defaultStateFilePath(0, { XDG_STATE_HOME: "/s" }, 1234)).toBe("/s/llmux/0-1234.json");
  });
});

describe("StateFile", () => {
  it("writes every change at once and reads it back", () => {
    const path = join(dir, "nested", "3000.json");
    const file = new StateFile(path, { pid: 123, startTime: "456" });
    file.claim();
    expect(StateFile.read(path)).toEqual({ version: 1, owner: { pid: 123, startTime: "456" }, processes: [] });
    const record = { model: "a", pid: 10, pgid: 10, argv: ["vllm", "serve", "x"], startTime: "99", recordedAt: 1 };
    file.add(record);
    file.add({ ...record, model: "b", pid: 11, pgid: 11 });
    expect(StateFile.read(path)?.processes.map((p) => p.model)).toEqual(["a", "b"]);
    file.remove(10);
    expect(StateFile.read(path)?.processes).toEqual([{ ...record, model: "b", pid: 11, pgid: 11 }]);
    expect(JSON.parse(readFileSync(path, "utf8")).owner.pid).toBe(123);
    file.release();
    expect(existsSync(path)).toBe(false);
  });

  it("answers undefined for a missing file and a coded error for a foreign one", () => {
    expect(StateFile.read(join(dir, "none.json"))).toBeUndefined();
    const path = join(dir, "bad.json");
    writeFileSync(path, "{not json");
    expect(() => StateFile.read(path)).toThrowError(expect.objectContaining({ code: "LLMUX_ERR_STATE_FILE" }));
    writeFileSync(path, JSON.stringify({ something: "else" }));
    expect(() => StateFile.read(path)).toThrowError(expect.objectContaining({ code: "LLMUX_ERR_STATE_FILE" }));
  });

  it("fails with a coded error when the file cannot be written", () => {
    const blocker = join(dir, "file");
    writeFileSync(blocker, "");
    const file = new StateFile(join(blocker, "3000.json"), { pid: 1 });
    expect(() => file.claim()).toThrowError(expect.objectContaining({ code: "LLMUX_ERR_STATE_FILE" }));
  });
});
