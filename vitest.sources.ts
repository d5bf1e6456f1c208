import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface SourceAlias {
  find: RegExp;
  replacement: string;
}

const packagesDir = fileURLToPath(new URL("./packages/", import.meta.url));

/**
 * Vitest runs the workspace packages from their sources, so a test never
 * needs a fresh build of a dependency. The published exports name only
 * `dist/` (a `src/` path is not in the tarball), so the mapping lives here:
 * each `@llmux/*` entry point built to `dist/<path>.js` is read from
 * `src/<path>.ts`.
 */
export function workspaceSourceAliases(): SourceAlias[] {
  const aliases: SourceAlias[] = [];
  for (const dir of readdirSync(packagesDir)) {
    const pkg = JSON.parse(readFileSync(`${packagesDir}${dir}/package.json`, "utf8")) as {
      name: string;
      exports?: Record<string, string | { default?: string }>;
    };
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      const built = typeof target === "string" ? target : target.default;
      const match = built?.match(/^\.\/dist\/(.+)\.js$/);
      if (match === null || match === undefined) continue;
      const specifier = `${pkg.name}${subpath.slice(1)}`;
      aliases.push({ find: new RegExp(`^${escapeRegExp(specifier)}$`), replacement: `${packagesDir}${dir}/src/${match[1]}.ts` });
    }
  }
  return aliases;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
