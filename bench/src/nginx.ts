import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureTool } from "./apt.js";
import { type Tracked, makeTempDir, removeTempDir, spawnTracked } from "./children.js";
import { waitForConnect } from "./net-wait.js";
import { renderNginxConfig } from "./nginx-config.js";

export interface RunningNginx {
  url: string;
  /** The master's pid; its workers are its descendants. */
  pid: number;
  stop(): Promise<void>;
}

/** Find nginx, installing Debian's nginx-light (or nginx) when missing. */
export function ensureNginx(allowInstall: boolean): { path: string } | { note: string } {
  return ensureTool("nginx", ["nginx-light", "nginx"], ["/usr/sbin/nginx"], allowInstall);
}

export async function startNginx(options: { path: string; listenPort: number; upstreamPort: number; workers: number }): Promise<RunningNginx> {
  const prefix = makeTempDir("nginx");
  const configPath = join(prefix, "nginx.conf");
  writeFileSync(configPath, renderNginxConfig({ prefix, ...options }));
  // -e: the error log before the config is read goes to our prefix, not /var/log/nginx.
  const args = ["-p", prefix, "-c", configPath, "-e", join(prefix, "error.log")];
  let tracked: Tracked | undefined;
  try {
    tracked = spawnTracked("nginx", options.path, args);
    await waitForConnect(options.listenPort, { timeoutMs: 10_000, alive: () => tracked?.child.exitCode === null, what: "nginx" });
  } catch (error) {
    await tracked?.stop(2000);
    removeTempDir(prefix);
    throw new Error(`nginx did not start: ${(error as Error).message}\n${tracked?.tail() ?? ""}`);
  }
  const running = tracked;
  return {
    url: `http://127.0.0.1:${options.listenPort}`,
    pid: running.pid,
    async stop() {
      // SIGTERM makes nginx exit at once (fast shutdown); workers go with the master.
      await running.stop(5000);
      removeTempDir(prefix);
    },
  };
}
