import { execFile } from "node:child_process";
import { NvidiaSmiFailedError, NvidiaSmiMissingError } from "./errors.js";

/** The query the validator runs; one line per GPU, MiB, no header, no unit. */
export const NVIDIA_SMI_ARGS: readonly string[] = ["--query-gpu=memory.used", "--format=csv,noheader,nounits"];

/** Used GPU memory at one moment: per GPU (nvidia-smi order) and the sum. */
export interface GpuMemoryReading {
  perGpuMiB: number[];
  totalMiB: number;
}

export interface ReadGpuMemoryOptions {
  /** Executable to run (default `nvidia-smi`); looked up on PATH like a shell would. */
  command?: string;
  /** Environment for the command (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this long (default 15 s; nvidia-smi can stall while a driver is busy). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Parse `nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits`
 * output: one integer (MiB) per non-empty line. Anything else throws, because
 * a misread memory value would silently pass or fail a level.
 */
export function parseNvidiaSmiMemory(stdout: string, command = "nvidia-smi"): GpuMemoryReading {
  const lines = stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (lines.length === 0) throw new NvidiaSmiFailedError(command, "printed no GPU lines");
  const perGpuMiB = lines.map((line) => {
    if (!/^\d+(\.\d+)?$/.test(line)) {
      throw new NvidiaSmiFailedError(command, `unexpected line ${JSON.stringify(line)} (expected MiB used per GPU)`);
    }
    return Math.round(Number(line));
  });
  return { perGpuMiB, totalMiB: perGpuMiB.reduce((sum, value) => sum + value, 0) };
}

/** Run nvidia-smi once and parse its memory.used lines. */
export function readGpuMemory(options: ReadGpuMemoryOptions = {}): Promise<GpuMemoryReading> {
  const command = options.command ?? "nvidia-smi";
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...NVIDIA_SMI_ARGS],
      {
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 15_000,
        killSignal: "SIGKILL",
        ...(options.signal ? { signal: options.signal } : {}),
        maxBuffer: 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOENT" || code === "EACCES") {
            reject(new NvidiaSmiMissingError(command, { cause: error }));
            return;
          }
          const detail = String(stderr).trim() || String(stdout).trim() || error.message;
          reject(new NvidiaSmiFailedError(command, `failed: ${detail}`, { cause: error }));
          return;
        }
        try {
          resolve(parseNvidiaSmiMemory(String(stdout), command));
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
  });
}
