import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** The first of `paths` that exists, or the command found on PATH, or undefined. */
export function findExecutable(name: string, paths: readonly string[] = []): string | undefined {
  for (const path of paths) if (existsSync(path)) return path;
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = found.stdout.trim();
  return found.status === 0 && path !== "" ? path : undefined;
}

/**
 * Find a tool, installing Debian packages with apt-get when it is missing.
 * Returns the path, or a note saying why it is not available.
 */
export function ensureTool(name: string, packages: readonly string[], paths: readonly string[] = [], allowInstall = true): { path: string } | { note: string } {
  const present = findExecutable(name, paths);
  if (present) return { path: present };
  if (!allowInstall) return { note: `${name} is not installed (install disabled with --no-install)` };
  const apt = findExecutable("apt-get");
  if (!apt) return { note: `${name} is not installed and apt-get is not available` };
  const errors: string[] = [];
  for (const pkg of packages) {
    process.stderr.write(`bench: ${name} missing, running apt-get install -y ${pkg}\n`);
    try {
      execFileSync(apt, ["install", "-y", "--no-install-recommends", pkg], {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        timeout: 300_000,
      });
    } catch (error) {
      errors.push(`${pkg}: ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    const installed = findExecutable(name, paths);
    if (installed) return { path: installed };
  }
  return { note: `${name} could not be installed (${errors.join("; ") || "not found after install"})` };
}
