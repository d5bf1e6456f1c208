import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const repoRoot: string = fileURLToPath(new URL("../../../", import.meta.url));
export const fixturesDir: string = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** The packages a release publishes, by folder under `packages/`. */
export const PUBLIC_PACKAGES = ["types", "vllm-client", "core", "proxy", "validator", "cli", "vllm-sim"] as const;
export type PublicPackage = (typeof PUBLIC_PACKAGES)[number];

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  files?: string[];
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function readRepoFile(relative: string): string {
  return readFileSync(`${repoRoot}${relative}`, "utf8");
}

export function manifestOf(dir: PublicPackage): Manifest {
  return JSON.parse(readRepoFile(`packages/${dir}/package.json`)) as Manifest;
}

/** The shell lines of the first fenced `lang` block under the heading `## title` of a README. */
export function readmeBlock(readme: string, title: string, lang: string): string {
  const text = readRepoFile(readme);
  const start = text.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`${readme} has no "## ${title}" section`);
  const section = text.slice(start + 1);
  const end = section.indexOf("\n## ");
  const match = (end === -1 ? section : section.slice(0, end)).match(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``));
  if (match === null) throw new Error(`${readme}, "## ${title}": no \`\`\`${lang} block`);
  return match[1] ?? "";
}
