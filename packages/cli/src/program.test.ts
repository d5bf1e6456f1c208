import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import type { CliIo } from "./cli-io.js";
import { main } from "./program.js";
import { VERSION } from "./version.js";

function io(env: NodeJS.ProcessEnv = {}): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _encoding, callback) {
        into.push(String(chunk));
        callback();
      },
    });
  return { stdout: sink(out), stderr: sink(err), env, out: () => out.join(""), err: () => err.join("") };
}

const dir = mkdtempSync(join(tmpdir(), "llmux-program-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("main: usage and exit codes", () => {
  it("prints the version and exits 0", async () => {
    const cli = io();
    expect(await main(["--version"], cli)).toBe(0);
    expect(cli.out().trim()).toBe(VERSION);
  });

  it("prints help and exits 0", async () => {
    const cli = io();
    expect(await main(["--help"], cli)).toBe(0);
    expect(cli.out()).toContain("--config <path>");
    expect(cli.out()).toContain("demo");
    expect(cli.out()).toContain("simulate");
  });

  it.each([
    [["--bogus"], /unknown option '--bogus'/],
    [["--port", "seventy"], /expected a port between 1 and 65535/],
    [["--port", "70000"], /expected a port between 1 and 65535/],
    [["--log-level", "loud"], /--log-level must be one of/],
    [["--log-format", "xml"], /--log-format must be json or pretty/],
    [["--validate", "a", "--levels", "1,4"], /sleep levels/],
    [["--verbose"], /--verbose only applies with --validate/],
    [["extra-argument"], /too many arguments|unknown command/],
    [["simulate"], /required option '--trace <file>'/],
  ])("exits 2 for %j", async (argv, message) => {
    const cli = io();
    expect(await main(argv, cli)).toBe(2);
    expect(cli.err()).toMatch(message);
  });

  it("exits 2 with the path when the config file is missing or not JSON", async () => {
    const missing = join(dir, "missing.json");
    let cli = io();
    expect(await main(["--config", missing], cli)).toBe(2);
    expect(cli.err()).toContain(`${missing}: cannot read the config file: no such file`);

    cli = io();
    // The default path, from a folder without config.json: a hint where to start.
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(await main([], cli)).toBe(2);
    } finally {
      process.chdir(cwd);
    }
    expect(cli.err()).toContain("config.json: cannot read the config file: no such file");
    expect(cli.err()).toContain("run `llmux demo`");

    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ models: ");
    cli = io({ LLMUX_CONFIG: broken });
    expect(await main([], cli)).toBe(2);
    expect(cli.err()).toContain(`${broken}: not valid JSON`);
    expect(cli.err()).not.toMatch(/\n\s+at /);
  });
});
