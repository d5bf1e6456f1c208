#!/usr/bin/env node
// `prepack` of every published package: refuse to pack a package whose
// `dist/` is missing or older than its sources, so a tarball never ships
// without its code (a fresh checkout) or with code the sources no longer say.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function fail(message) {
  console.error(`${pkg.name}: ${message}; run \`pnpm build\` at the repository root before packing`);
  process.exit(1);
}

const entries = [pkg.main, ...Object.values(pkg.bin ?? {})];
for (const target of Object.values(pkg.exports ?? {})) {
  if (typeof target === "string") entries.push(target);
  else entries.push(...Object.values(target));
}
const missing = entries.filter((path) => path.startsWith("./dist/") && !existsSync(path));
if (missing.length > 0) fail(`${missing.join(", ")} missing`);

const sources = existsSync("src") ? files("src").filter((path) => !/\.test\.ts$/.test(path)) : [];
const newestSource = Math.max(0, ...sources.map((path) => statSync(path).mtimeMs), statSync("package.json").mtimeMs);
const oldestBuilt = Math.min(...files("dist").map((path) => statSync(path).mtimeMs));
if (oldestBuilt < newestSource) fail("dist/ is older than the sources");
