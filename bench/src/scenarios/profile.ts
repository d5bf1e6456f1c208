import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext, Scenario, ScenarioResult } from "../context.js";
import { summarizeProfile, type CpuProfile, type ProfileSummary } from "../cpu-profile.js";
import { benchRoot } from "../paths.js";
import { MODEL, startProxyRig } from "../rig.js";
import { streamAgent, streamOnce } from "../stream-client.js";
import type { Row } from "../table.js";
import { runWrk } from "../wrk.js";

const BODY = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Say hello in five words." }], max_tokens: 8 });

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function profiled(context: BenchContext, label: string, load: (url: string) => Promise<void>): Promise<ProfileSummary> {
  const folder = join(benchRoot, "results", "profiles", label);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const rig = await startProxyRig({ ...context, nginxPath: undefined } as BenchContext, { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${folder}`] });
  let window: { fromUs: number; toUs: number } | undefined;
  try {
    const fromUs = monotonicUs();
    await load(rig.columns.llmux as string);
    window = { fromUs, toUs: monotonicUs() };
  } finally {
    // llmux writes the profile when it exits after SIGTERM.
    await rig.stop();
  }
  const file = readdirSync(folder).find((name) => name.endsWith(".cpuprofile"));
  if (!file) throw new Error(`llmux wrote no .cpuprofile into ${folder} (did it exit cleanly on SIGTERM?)`);
  const profile = JSON.parse(readFileSync(join(folder, file), "utf8")) as CpuProfile;
  const summary = summarizeProfile(profile, 15, window);
  // The profiler's clock is CLOCK_MONOTONIC on Linux; if it were not, the window would hold nothing.
  if (summary.busyMs === 0) {
    context.log("  profile clock does not match ours: summarizing the whole process life");
    return summarizeProfile(profile, 15);
  }
  return summary;
}

function rowsOf(summary: ProfileSummary, label: string): Row[] {
  return [
    ...summary.origins
      .slice(0, 8)
      .map((origin) => ({ metric: `${label}: self time in ${origin.origin}`, unit: "% busy", values: { llmux: origin.percent }, digits: 1, ratios: false })),
    ...summary.functions
      .slice(0, 12)
      .map((fn) => ({ metric: `${label}: self \`${fn.name}\` ${fn.where}`, unit: "% busy", values: { llmux: fn.percent }, digits: 1, ratios: false })),
    ...summary.ours
      .slice(0, 8)
      .map((fn) => ({ metric: `${label}: inclusive \`${fn.name}\` ${fn.where}`, unit: "% busy", values: { llmux: fn.percent }, digits: 1, ratios: false })),
  ];
}

export const profileScenario: Scenario = {
  id: "profile",
  title: "Profile: llmux's hottest functions under load (node --cpu-prof, self time)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    if (!context.llmux) throw new Error("llmux is not available to profile");
    if (!context.wrkPath) throw new Error("wrk is not available");
    const seconds = context.options.quick ? 3 : 8;
    const wrkPath = context.wrkPath;
    context.log(`  non-streaming c=50 for ${seconds}s under --cpu-prof`);
    const plain = await profiled(context, "non-streaming", async (url) => {
      await runWrk({ path: wrkPath, url: `${url}/v1/chat/completions`, body: BODY, connections: 50, threads: 1, durationSeconds: seconds });
    });
    context.log("  100 streams × 500 tokens under --cpu-prof");
    const streaming = await profiled(context, "streaming", async (url) => {
      const agent = streamAgent();
      const body = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "story" }], max_tokens: 500, stream: true });
      try {
        await Promise.all(Array.from({ length: 100 }, () => streamOnce(`${url}/v1/chat/completions`, body, agent)));
      } finally {
        await agent.close();
      }
    });
    return {
      table: {
        id: "profile",
        title: this.title,
        baseline: "llmux",
        columns: ["llmux"],
        rows: [...rowsOf(plain, "non-streaming"), ...rowsOf(streaming, "streaming")],
        targets: [],
        notes: [
          `Only samples taken during the load count (start-up excluded). Busy (non-idle) CPU: non-streaming ${plain.busyMs.toFixed(0)} ms, streaming ${streaming.busyMs.toFixed(0)} ms. Profiles are kept under bench/results/profiles/ (not committed); open them in Chrome DevTools.`,
        ],
      },
      raw: { plain, streaming },
    };
  },
};
