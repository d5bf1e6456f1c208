export interface UpstreamArgs {
  modelPath: string;
  servedName: string;
  host: string;
  port: number;
}

/** Read the parts of a `vllm serve` command line the bench upstream needs; other flags are ignored. */
export function parseUpstreamArgs(argv: readonly string[]): UpstreamArgs {
  const rest = argv[0] === "serve" ? argv.slice(1) : [...argv];
  let modelPath = "bench-model";
  let servedName: string | undefined;
  let host = "127.0.0.1";
  let port = 8000;
  for (let index = 0; index < rest.length; index++) {
    const arg = rest[index] as string;
    const next = rest[index + 1];
    const [flag, inline] = arg.includes("=") ? (arg.split("=", 2) as [string, string]) : [arg, undefined];
    const value = inline ?? next;
    if (flag === "--port" && value !== undefined) {
      port = Number(value);
      if (inline === undefined) index++;
    } else if (flag === "--host" && value !== undefined) {
      host = value;
      if (inline === undefined) index++;
    } else if (flag === "--served-model-name" && value !== undefined) {
      servedName ??= value;
      if (inline === undefined) index++;
    } else if (!arg.startsWith("-") && index === 0) {
      modelPath = arg;
    }
  }
  return { modelPath, servedName: servedName ?? modelPath, host, port };
}
