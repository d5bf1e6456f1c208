import { usedPerGpu } from "./gpu-records.js";

export interface SmiSettings {
  stateDir: string;
  gpuCount: number;
  gpuTotalMib: number;
  gpuName: string;
}

export const smiFields = ["memory.used", "memory.total", "memory.free", "name", "index", "uuid"] as const;

const headers: Record<string, string> = {
  "memory.used": "memory.used [MiB]",
  "memory.total": "memory.total [MiB]",
  "memory.free": "memory.free [MiB]",
  name: "name",
  index: "index",
  uuid: "uuid",
};

export interface SmiOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Answer `nvidia-smi --query-gpu=<fields> --format=csv[,noheader][,nounits] [-i N]`
 * from the simulator's GPU records, in the field order asked, one line per GPU.
 */
export function runSmi(argv: readonly string[], settings: SmiSettings): SmiOutput {
  let fields: string[] | undefined;
  let format: string[] | undefined;
  let only: number[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    const value = (prefix: string): string | undefined => {
      if (word.startsWith(`${prefix}=`)) return word.slice(prefix.length + 1);
      if (word === prefix) return argv[++i];
      return undefined;
    };
    const query = value("--query-gpu");
    const fmt = query === undefined ? value("--format") : undefined;
    const id = query === undefined && fmt === undefined ? (value("--id") ?? value("-i")) : undefined;
    if (query !== undefined) fields = query.split(",").map((field) => field.trim());
    else if (fmt !== undefined) format = fmt.split(",").map((part) => part.trim());
    else if (id !== undefined) only = id.split(",").map(Number);
    else return { code: 2, stdout: "", stderr: `Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n` };
  }
  if (fields === undefined || format === undefined || !format.includes("csv")) {
    return { code: 2, stdout: "", stderr: "vllm-sim-smi answers only --query-gpu=<fields> --format=csv[,noheader][,nounits].\n" };
  }
  for (const field of fields) {
    if (!(smiFields as readonly string[]).includes(field)) {
      return { code: 2, stdout: "", stderr: `Field "${field}" is not a valid field to query.\n\n` };
    }
  }
  for (const part of format) {
    if (!["csv", "noheader", "nounits"].includes(part)) {
      return { code: 2, stdout: "", stderr: `"${part}" is not a valid format option.\n` };
    }
  }
  const units = !format.includes("nounits");
  const used = usedPerGpu(settings.stateDir, settings.gpuCount);
  const lines: string[] = [];
  if (!format.includes("noheader")) lines.push(fields.map((field) => (units ? headers[field] : (headers[field] ?? field).replace(" [MiB]", ""))).join(", "));
  for (let index = 0; index < settings.gpuCount; index++) {
    if (only && !only.includes(index)) continue;
    const usedMib = Math.min(settings.gpuTotalMib, Math.round(used[index] ?? 0));
    const mib = (n: number): string => (units ? `${n} MiB` : String(n));
    const values: Record<string, string> = {
      "memory.used": mib(usedMib),
      "memory.total": mib(settings.gpuTotalMib),
      "memory.free": mib(settings.gpuTotalMib - usedMib),
      name: settings.gpuName,
      index: String(index),
      uuid: `GPU-5e1f0000-0000-4000-8000-${String(index).padStart(12, "0")}`,
    };
    lines.push(fields.map((field) => values[field] ?? "").join(", "));
  }
  return { code: 0, stdout: `${lines.join("\n")}\n`, stderr: "" };
}
