import { installCleanupHandlers, stopAll } from "../children.js";
import { FLEET_KNOBS, FLEET_MODELS, FLEET_TUNING_SEEDS, FLEET_WARMUP_SECS, fleetTrace } from "../scenarios/fleet.js";
import { shippedScorers } from "./picker-config.js";
import { shippedPodPolicy } from "./pod-config.js";
import { isScorerType, type WeightedScorer } from "./routers.js";
import { type RouterName, runFleet } from "./run-fleet.js";

/**
 * `node bench/dist/fleet/tune.js [profile=<scorer>:<weight>,... ...] [policy=<JSON>] [seeds=101,102] [skip=round-robin,...] [full] [diagnose]`:
 * the fleet on the tuning seeds only (never a held-out one), for choosing
 * the picker's scorers and weights (default: the shipped profile) and the
 * pods' policy (in the bench's scaled seconds; default: the shipped pool
 * policy, scaled). Prints the policy, then one line per router and profile.
 * `full` replays the bench's full-length traces (90 s) instead of the quick
 * ones (30 s); `diagnose` prints where the slowest 1% spent their time.
 */
function parseProfile(text: string): WeightedScorer[] {
  return text.split(",").map((pair) => {
    const [type = "", weight = "1"] = pair.split(":");
    if (!isScorerType(type)) throw new Error(`unknown scorer ${type}`);
    return { type, weight: Number(weight) };
  });
}

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
  const profileArgs = args.filter((arg) => arg.startsWith("profile=")).map((arg) => parseProfile(arg.slice("profile=".length)));
  const full = args.includes("full");
  const diagnose = args.includes("diagnose");
  const profiles = profileArgs.length > 0 ? profileArgs : [shippedScorers()];
  process.stdout.write(`pods' policy: ${JSON.stringify(policy ?? shippedPodPolicy(FLEET_KNOBS))}\n`);
  for (const seed of seeds) {
    const trace = fleetTrace(seed, !full);
    const all: { router: RouterName; scorers?: WeightedScorer[] }[] = [
      { router: "round-robin" },
      { router: "model-hash" },
      ...profiles.map((scorers) => ({ router: "metric picker" as const, scorers })),
    ];
    const runs = all.filter((run) => !skip.includes(run.router));
    for (const run of runs) {
      const result = await runFleet({
        pods: 4,
        models: FLEET_MODELS,
        trace,
        router: run.router,
        knobs: FLEET_KNOBS,
        ...(policy ? { policy } : {}),
        warmupSecs: FLEET_WARMUP_SECS,
        ...(run.scorers ? { scorers: run.scorers } : {}),
        diagnose,
      });
      const label = run.scorers ? `${run.router} ${run.scorers.map((scorer) => `${scorer.type}:${scorer.weight}`).join(",")}` : run.router;
      process.stdout.write(
        `seed ${seed} ${label}: ${result.measured} of ${result.requests} requests measured, ${result.switches} switches (${result.switchesPerRequest.toFixed(3)}/request), p50 ${result.p50Ms.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms (all: ${result.p99AllMs.toFixed(0)} ms), lost ${result.lost}${result.firstError ? ` (${result.firstError})` : ""}\n` +
          `  slowest: ${result.slowest.map((one) => `${one.model}@${one.t}s pod ${one.pod} ${one.ms} ms`).join(", ")}\n`,
      );
      for (const line of result.groups ?? []) process.stdout.write(`  ${line}\n`);
      for (const one of result.tail ?? []) {
        process.stdout.write(
          `  tail: ${one.model}@${one.t}s on pod ${one.pod}, ${one.ms} ms\n${[...one.pods, ...one.events].map((line) => `    ${line}\n`).join("")}`,
        );
      }
    }
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll(5000));
