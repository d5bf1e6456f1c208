import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, removeTempDir } from "./children.js";
import { ensureTool } from "./apt.js";
import { parseWrkOutput, renderWrkScript, type WrkSummary } from "./wrk-script.js";

export function ensureWrk(allowInstall: boolean): { path: string } | { note: string } {
  return ensureTool("wrk", ["wrk"], ["/usr/bin/wrk"], allowInstall);
}

/** Run wrk against `url` with a fixed POST body; wrk is a tracked child only for its run. */
export async function runWrk(options: {
  path: string;
  url: string;
  body: string;
  connections: number;
  threads: number;
  durationSeconds: number;
}): Promise<WrkSummary> {
  const folder = makeTempDir("wrk");
  const scriptPath = join(folder, "post.lua");
  writeFileSync(scriptPath, renderWrkScript(options.body));
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    "--timeout",
    "10s",
    "--latency",
    "-s",
    scriptPath,
    options.url,
  ];
  try {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(options.path, args, { timeout: (options.durationSeconds + 30) * 1000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`wrk failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    return parseWrkOutput(output);
  } finally {
    removeTempDir(folder);
  }
}
