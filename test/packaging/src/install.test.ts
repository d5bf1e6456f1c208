import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { freePort } from "@llmux/vllm-sim/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, describeOutcome, run, waitForOutput } from "./commands.js";
import { processesMarked } from "./own-processes.js";
import { PUBLIC_PACKAGES, fixturesDir, manifestOf, readRepoFile, readmeBlock, repoRoot } from "./workspace.js";

// Every process this file starts carries the marker, so the leftover check sees only them.
const MARKER = "LLMUX_PACKAGING_RUN";
const markerValue = randomUUID();
const byName = new Map(PUBLIC_PACKAGES.map((dir) => [manifestOf(dir).name, dir]));

let work: string;
let tarballs: Map<string, string>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "llmux-packaging-"));
  for (const dir of ["packs", "global", "project", "state", "gpus"]) mkdirSync(join(work, dir));
  // Only what a user has: node and npm, no workspace binaries on PATH.
  const path = [join(work, "global", "bin"), dirname(process.execPath), ...(process.env.PATH ?? "").split(delimiter)]
    .filter((entry) => !entry.startsWith(repoRoot))
    .join(delimiter);
  env = {
    ...process.env,
    PATH: path,
    [MARKER]: markerValue,
    npm_config_prefix: join(work, "global"), // `npm install -g` lands here, not in the machine's prefix
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    XDG_STATE_HOME: join(work, "state"),
    VLLM_SIM_STATE_DIR: join(work, "gpus"),
  };
  for (const key of Object.keys(env)) if (key.startsWith("npm_package_") || key === "NODE_OPTIONS") delete env[key];

  tarballs = new Map();
  for (const dir of PUBLIC_PACKAGES) {
    const before = new Set(readdirSync(join(work, "packs")));
    const outcome = await run("pnpm", ["pack", "--pack-destination", join(work, "packs")], { cwd: join(repoRoot, "packages", dir), env: process.env });
    expect(outcome.code, describeOutcome(`pnpm pack in packages/${dir}`, outcome)).toBe(0);
    const created = readdirSync(join(work, "packs")).filter((file) => !before.has(file));
    expect(created).toHaveLength(1);
    tarballs.set(manifestOf(dir).name, join(work, "packs", created[0] as string));
  }
});

afterAll(async () => {
  for (const pid of processesMarked(MARKER, markerValue)) process.kill(pid, "SIGKILL");
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * A README's `npm install [-g] @llmux/x` with each llmux name replaced by its
 * tarball and those of the llmux packages it depends on: npm takes a
 * dependency from a tarball only when that tarball is on the same command line.
 */
async function npmInstall(line: string, cwd: string): Promise<void> {
  const words = line.split(/\s+/);
  expect(words.slice(0, 2)).toEqual(["npm", "install"]);
  const args = new Set<string>();
  for (const word of words.slice(2)) {
    if (!word.startsWith("@llmux/")) args.add(word);
    else for (const name of withLlmuxDependencies(word)) args.add(tarballs.get(name) as string);
  }
  const outcome = await run("npm", ["install", ...args], { cwd, env, timeoutMs: 540_000 });
  expect(outcome.code, describeOutcome(line, outcome)).toBe(0);
}

function withLlmuxDependencies(name: string): string[] {
  const dir = byName.get(name);
  if (dir === undefined) throw new Error(`${name} is not a public package`);
  const deps = Object.keys(manifestOf(dir).dependencies ?? {}).filter((dep) => dep.startsWith("@llmux/"));
  return [name, ...deps.flatMap(withLlmuxDependencies)];
}

/** The `sh` block of a README section, as lines. */
function shellLines(readme: string, section: string): string[] {
  return readmeBlock(readme, section, "sh")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

async function shell(line: string): Promise<string> {
  const outcome = await run("bash", ["-c", line], { cwd: work, env, timeoutMs: 60_000 });
  expect(outcome.code, describeOutcome(line, outcome)).toBe(0);
  return outcome.stdout;
}

function expectNothingLeft(): void {
  expect(processesMarked(MARKER, markerValue)).toEqual([]);
  expect(readdirSync(join(work, "gpus")).filter((file) => file.endsWith(".json"))).toEqual([]);
}

describe("installed from the tarballs with npm, as the READMEs say", () => {
  it('@llmux/cli (README "Install"): llmux --version, and llmux demo answers a request and stops cleanly', async () => {
    const lines = shellLines("packages/cli/README.md", "Install");
    expect(lines).toEqual(["npm install -g @llmux/cli", "llmux --version", "llmux demo"]);
    await npmInstall(lines[0] as string, work);
    expect((await shell("command -v llmux")).trim()).toBe(join(work, "global", "bin", "llmux"));
    expect((await shell(lines[1] as string)).trim()).toBe(manifestOf("cli").version);

    // The demo as printed, on a free port (3000 may be taken on a shared machine).
    const demo = spawn("bash", ["-c", `exec ${lines[2]} --port ${await freePort()} --metrics-port 0`], { cwd: work, env, stdio: ["ignore", "pipe", "pipe"] });
    const ended = collect(demo);
    const [, url, body] = await waitForOutput(demo, /curl -s (http:\/\/\S+)\/v1\/chat\/completions -H 'Content-Type: application\/json' -d '([^']+)'/, 60_000);
    const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const answer = (await response.json()) as { model: string; choices: Array<{ message: { content: string } }> };
    expect(response.status).toBe(200);
    expect(answer.choices[0]?.message.content).toMatch(new RegExp(`^\\[${answer.model}\\]`));
    // The status page's files travel in the proxy's tarball (dist/ui), not only in the repository.
    const page = await fetch(`${url}/llmux/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    demo.kill("SIGINT");
    const outcome = await ended;
    expect(outcome.code, describeOutcome("llmux demo", outcome)).toBe(0);
    expectNothingLeft();
  });

  it('@llmux/validator (README "Install"): llmux-validate --help', async () => {
    const lines = shellLines("packages/validator/README.md", "Install");
    expect(lines).toEqual(["npm install -g @llmux/validator", "llmux-validate --help"]);
    await npmInstall(lines[0] as string, work);
    expect(await shell(lines[1] as string)).toMatch(/^Usage: llmux-validate/m);
  });

  describe('embedded (@llmux/cli README "Embedding")', () => {
    const project = (): string => join(work, "project");

    beforeAll(async () => {
      writeFileSync(join(project(), "package.json"), `${JSON.stringify({ private: true, type: "module" })}\n`);
      const lines = shellLines("packages/cli/README.md", "Embedding");
      expect(lines).toEqual(["npm install @llmux/cli"]);
      await npmInstall(lines[0] as string, project());
    });

    it.each(["embed.mjs", "embed.cjs"])("%s (quoted in the README) serves one request and shuts down leaving nothing", async (fixture) => {
      const source = readFileSync(join(fixturesDir, fixture), "utf8");
      expect(readRepoFile("packages/cli/README.md")).toContain(`\`\`\`js\n${source}\`\`\``);
      copyFileSync(join(fixturesDir, fixture), join(project(), fixture));
      const outcome = await run(process.execPath, [fixture], { cwd: project(), env, timeoutMs: 60_000 });
      expect(outcome.code, describeOutcome(`node ${fixture}`, outcome)).toBe(0);
      expect(outcome.stdout).toMatch(fixture === "embed.mjs" ? /^200 \[tiny-chat\]/m : /^200 tiny-chat$/m);
      expectNothingLeft();
      expect(readdirSync(join(work, "state", "llmux"))).toEqual([]); // the state file goes with a clean close
    });

    it.each(["node16", "bundler"])("type-checks a TypeScript consumer with moduleResolution %s", async (resolution) => {
      copyFileSync(join(fixturesDir, "consumer.ts"), join(project(), "consumer.ts"));
      const compilerOptions = {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        target: "ES2023",
        module: resolution === "node16" ? "node16" : "esnext",
        moduleResolution: resolution,
        types: ["node"],
        typeRoots: [join(repoRoot, "node_modules", "@types")],
      };
      const config = join(project(), `tsconfig.${resolution}.json`);
      writeFileSync(config, JSON.stringify({ compilerOptions, files: ["consumer.ts"] }));
      const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
      const outcome = await run(process.execPath, [tsc, "-p", config], { cwd: project(), env, timeoutMs: 120_000 });
      expect(outcome.code, describeOutcome(`tsc (${resolution})`, outcome)).toBe(0);
    });
  });
});

describe("each tarball, linted", () => {
  it("publint finds nothing, warnings included", async () => {
    const { publint } = await import("publint");
    const { formatMessage } = await import("publint/utils");
    const problems: string[] = [];
    for (const [name, tarball] of tarballs) {
      const data = readFileSync(tarball);
      const result = await publint({
        pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
        level: "suggestion",
        strict: true,
      });
      for (const message of result.messages) problems.push(`${name}: ${formatMessage(message, result.pkg) ?? message.code}`);
    }
    expect(problems).toEqual([]);
  });

  it("are-the-types-wrong finds nothing for ESM consumers (require() of these ESM packages works from Node 20.19)", async () => {
    const attw = join(repoRoot, "test", "packaging", "node_modules", ".bin", "attw");
    for (const [name, tarball] of tarballs) {
      const outcome = await run(attw, [tarball, "--profile", "esm-only", "--no-definitely-typed", "--format", "ascii", "--no-color"], {
        cwd: work,
        env: process.env,
      });
      expect(outcome.code, describeOutcome(`attw ${name}`, outcome)).toBe(0);
    }
  });
});
