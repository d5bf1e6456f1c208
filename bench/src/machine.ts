import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  nginx: string;
  wrk: string;
  kernel: string;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (match?.[1]) return match[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? "unknown";
}

/** stdout and stderr together: `nginx -v` prints on stderr, `wrk -v` exits 1. */
function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
  return output === "" ? "unavailable" : output;
}

export function machineInfo(tools: { nginx?: string; wrk?: string }): MachineInfo {
  return {
    nproc: Number(run("nproc", [])) || cpus().length,
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    nginx: tools.nginx ? run(tools.nginx, ["-v"]).replace(/^nginx version:\s*/, "") : "not available",
    wrk: tools.wrk
      ? (run(tools.wrk, ["-v"])
          .split("\n")[0]
          ?.replace(/ Copyright.*$/, "") ?? "unknown")
      : "not available",
    kernel: run("uname", ["-r"]),
  };
}

export function describeMachine(info: MachineInfo): string {
  return [
    `- nproc: ${info.nproc}`,
    `- CPU: ${info.cpuModel}`,
    `- memory: ${info.memoryGiB} GiB`,
    `- Node: ${info.node}`,
    `- nginx: ${info.nginx}`,
    `- wrk: ${info.wrk}`,
    `- kernel: ${info.kernel}`,
  ].join("\n");
}
