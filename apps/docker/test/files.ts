import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

/** The repository root and this app's folder, absolute. */
export const repoRoot: string = fileURLToPath(new URL("../../../", import.meta.url));
export const appDir: string = fileURLToPath(new URL("../", import.meta.url));

export function readApp(relative: string): string {
  return readFileSync(new URL(`../${relative}`, import.meta.url), "utf8");
}

export function readYaml(relative: string): Record<string, any> {
  return parseYaml(readApp(relative)) as Record<string, any>;
}

export function readJson(relative: string): Record<string, any> {
  return JSON.parse(readApp(relative)) as Record<string, any>;
}
