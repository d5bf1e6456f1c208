import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/**
 * For tests that read a config file by path: `write(text)` puts the text in
 * `name` inside a temporary folder of the test, removed after each test.
 */
export function tempFileWriter(name: string): (text: string) => string {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return (text) => {
    dir ??= mkdtempSync(join(tmpdir(), "fleet-config-"));
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
}
