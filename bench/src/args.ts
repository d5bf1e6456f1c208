import type { BenchOptions } from "./context.js";

export const SCENARIO_IDS = ["overhead", "streaming", "switch", "memory", "policies", "fleet", "preemption", "profile", "live-vs-sim", "overload"] as const;

export const USAGE = `usage: pnpm bench [--quick] [--only ${SCENARIO_IDS.join(",")}] [--no-install] [--profile | --no-profile]
                  [--nginx-workers N] [--readme | --no-readme] [--without-llmux] [--soak N]
  --quick          short runs (under a minute); results are not written to the README
  --only LIST      run only these scenarios
  --no-install     do not apt-get install missing nginx/wrk (their columns are skipped)
  --profile        profile llmux under load (default for full runs; --no-profile skips it)
  --nginx-workers  nginx worker_processes (default 1: one core, like llmux's one event loop)
  --readme         write the tables into bench/README.md (default for full runs)
  --without-llmux  only the baseline columns (direct, nginx)
  --soak N         requests in the memory scenario's soak (default 100000; 3000 with --quick)`;

export function parseArgs(argv: readonly string[]): BenchOptions | { help: string } {
  const options: BenchOptions = { quick: false, only: [], allowInstall: true, profile: true, nginxWorkers: 1, writeReadme: false, withoutLlmux: false };
  let readme: boolean | undefined;
  let profile: boolean | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const next = (): string => {
      const value = argv[++index];
      if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return value;
    };
    if (arg === "--") continue;
    else if (arg === "--quick") options.quick = true;
    else if (arg === "--only")
      options.only = next()
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean);
    else if (arg === "--no-install") options.allowInstall = false;
    else if (arg === "--profile") profile = true;
    else if (arg === "--no-profile") profile = false;
    else if (arg === "--nginx-workers") options.nginxWorkers = Number(next());
    else if (arg === "--readme") readme = true;
    else if (arg === "--without-llmux") options.withoutLlmux = true;
    else if (arg === "--no-readme") readme = false;
    else if (arg === "--soak") options.soak = Number(next());
    else if (arg === "--help" || arg === "-h") return { help: USAGE };
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  for (const id of options.only) {
    if (!(SCENARIO_IDS as readonly string[]).includes(id)) throw new Error(`unknown scenario ${id}\n${USAGE}`);
  }
  if (options.soak !== undefined && (!Number.isInteger(options.soak) || options.soak < 20))
    throw new Error(`--soak must be an integer of at least 20\n${USAGE}`);
  if (!Number.isInteger(options.nginxWorkers) || options.nginxWorkers < 1) throw new Error(`--nginx-workers must be a positive integer\n${USAGE}`);
  options.writeReadme = readme ?? (!options.quick && options.only.length === 0);
  options.profile = profile ?? (!options.quick || options.only.includes("profile"));
  return options;
}
