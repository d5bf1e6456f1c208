import { installCleanupHandlers, stopAll } from "../children.js";
import { FLEET_KNOBS, FLEET_MODELS, FLEET_POLICY, FLEET_TUNING_SEEDS, fleetTrace } from "../scenarios/fleet.js";
import { type RouterName, runFleet } from "./run-fleet.js";

/**
 * `node bench/dist/fleet/tune.js [affinity:queue ...] [policy=<JSON>] [seeds=101,102] [skip=round-robin,...]`: the fleet on the
 * tuning seeds only (never the held-out one), for choosing the picker's
 * weights. Prints one line per router and weighting.
 */
async function main(): Promise<void> {
  installCleanupHandlers();
  const args = process.argv.slice(2);
  const policyArg = args.find((arg) => arg.startsWith("policy="));
  const policy = policyArg ? (JSON.parse(policyArg.slice("policy=".length)) as Record<string, unknown>) : undefined;
  const seedsArg = args.find((arg) => arg.startsWith("seeds="));
  const seeds = seedsArg ? seedsArg.slice("seeds=".length).split(",").map(Number) : FLEET_TUNING_SEEDS;
  if (seeds.some((seed) => !FLEET_TUNING_SEEDS.includes(seed))) throw new Error(`only the tuning seeds (${FLEET_TUNING_SEEDS.join(", ")}) may be used here`);
  const skip = (args
    .find((arg) => arg.startsWith("skip="))
    ?.slice("skip=".length)
    .split(",") ?? []) as RouterName[];
  const pairs = args.filter((arg) => /^\d+(\.\d+)?:\d+(\.\d+)?$/.test(arg));
  const weightings = (pairs.length > 0 ? pairs : ["2:1", "1:1"]).map((pair) => pair.split(":").map(Number) as [number, number]);
  for (const seed of seeds) {
    const trace = fleetTrace(seed, true);
    const all: { router: RouterName; weights?: [number, number] }[] = [
      { router: "round-robin" },
      { router: "model-hash" },
      ...weightings.map((weights) => ({ router: "metric picker" as const, weights })),
    ];
    const runs = all.filter((run) => !skip.includes(run.router));
    for (const run of runs) {
      const result = await runFleet({
        pods: 4,
        models: FLEET_MODELS,
        trace,
        router: run.router,
        knobs: FLEET_KNOBS,
        policy: policy ?? FLEET_POLICY,
        ...(run.weights ? { affinityWeight: run.weights[0], queueWeight: run.weights[1] } : {}),
      });
      const label = run.weights ? `${run.router} ${run.weights.join(":")}` : run.router;
      process.stdout.write(
        `seed ${seed} ${label}: ${result.requests} requests, ${result.switches} switches (${result.switchesPerRequest.toFixed(3)}/request), p50 ${result.p50Ms.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms, lost ${result.lost}${result.firstError ? ` (${result.firstError})` : ""}\n` +
          `  slowest: ${result.slowest.map((one) => `${one.model}@${one.t}s pod ${one.pod} ${one.ms} ms`).join(", ")}\n`,
      );
    }
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll(5000));
