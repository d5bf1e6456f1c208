import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PUBLIC_PACKAGES, manifestOf, readRepoFile, repoRoot } from "./workspace.js";

const license = readRepoFile("LICENSE");

describe.each(PUBLIC_PACKAGES)("packages/%s/package.json", (dir) => {
  const manifest = manifestOf(dir);

  it("exports `types` then `default` for every entry, with no condition pointing outside what is published", () => {
    expect(manifest.exports?.["./package.json"]).toBe("./package.json");
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (typeof target === "string") {
        expect(target.startsWith("./dist/") || subpath === "./package.json" || manifest.files?.includes(target.slice(2)), subpath).toBe(true);
        continue;
      }
      // `source` (src/ is not in the tarball) stays in vitest's config; `import`-only maps broke require().
      expect(Object.keys(target), subpath).toEqual(["types", "default"]);
      expect(target["types"]).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      expect(target["default"]).toMatch(/^\.\/dist\/.+\.js$/);
    }
  });

  it("publishes dist, README, CHANGELOG and the root LICENSE, and builds (or takes turbo's cached build) before packing", () => {
    expect(manifest.files).toEqual(expect.arrayContaining(["dist", "README.md", "CHANGELOG.md", "LICENSE"]));
    expect(readFileSync(join(repoRoot, "packages", dir, "LICENSE"), "utf8")).toBe(license);
    // Through turbo, so a pack from a fresh checkout builds the package and what it depends on first.
    expect(manifest.scripts?.["prepack"]).toBe(`turbo run build --filter=${manifest.name} --output-logs=errors-only`);
  });

  it("depends on the other llmux packages with a caret range, so one copy serves them all", () => {
    for (const field of ["dependencies", "devDependencies"] as const) {
      for (const [name, range] of Object.entries(manifest[field] ?? {})) {
        if (name.startsWith("@llmux/")) expect(range, `${field}.${name}`).toBe("workspace:^");
      }
    }
  });
});

describe("@llmux/core", () => {
  it("ships and exports config.schema.json, the file its README points `$schema` at", () => {
    const manifest = manifestOf("core");
    expect(manifest.files).toContain("config.schema.json");
    expect(manifest.exports?.["./config.schema.json"]).toBe("./config.schema.json");
    expect(readRepoFile("packages/core/README.md")).toContain("node_modules/@llmux/core/config.schema.json");
  });
});

describe("the repository", () => {
  it("has the MIT LICENSE every package.json names", () => {
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the llmux authors\n/);
    for (const dir of PUBLIC_PACKAGES) expect(manifestOf(dir).private).toBeUndefined();
  });

  it("links only to files that exist, from every README and doc", () => {
    const broken: string[] = [];
    for (const file of markdownFiles(repoRoot)) {
      const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
      for (const match of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = match[1] ?? "";
        if (/^[a-z]+:/i.test(target)) continue; // a URL
        if (!existsSync(join(dirname(file), target))) broken.push(`${relative(repoRoot, file)} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("says nothing of the shared folder outside the repository", () => {
    const mentions = markdownFiles(repoRoot).filter((file) => /\.\.\/shared\/|shared\/docs\//.test(readFileSync(file, "utf8")));
    expect(mentions.map((file) => relative(repoRoot, file))).toEqual([]);
  });
});

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === "node_modules" || entry.name.startsWith(".") || entry.name === "dist") return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });
}
