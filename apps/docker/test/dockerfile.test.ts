import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readApp, readJson, repoRoot } from "./files.js";

const dockerfile = DockerfileParser.parse(readApp("Dockerfile"));
const instructions = dockerfile.getInstructions();

/** Global ARG defaults (those before the first FROM), to resolve `${NAME}` in FROM lines. */
function globalArgs(): Map<string, string> {
  const args = new Map<string, string>();
  for (const instruction of instructions) {
    const keyword = instruction.getKeyword();
    if (keyword === "FROM") break;
    if (keyword !== "ARG") continue;
    const [name, value] = (instruction.getArgumentsContent() ?? "").split("=");
    if (name && value !== undefined) args.set(name, value);
  }
  return args;
}

function resolve(text: string): string {
  const args = globalArgs();
  return text.replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? `\${${name}}`);
}

function jsonArguments(instruction: Instruction): string[] {
  // HEALTHCHECK's arguments are its options, then CMD and the exec form.
  const content = instruction.getArgumentsContent() ?? "null";
  return JSON.parse(instruction.getKeyword() === "HEALTHCHECK" ? content.slice(content.indexOf("[")) : content) as string[];
}

function lastOf(keyword: string): Instruction {
  const found = instructions.filter((instruction) => instruction.getKeyword() === keyword);
  const last = found.at(-1);
  if (!last) throw new Error(`the Dockerfile has no ${keyword}`);
  return last;
}

describe("Dockerfile", () => {
  const froms = dockerfile.getFROMs();

  test("builds in a Node 20 stage and runs on vLLM v0.13.x", () => {
    expect(froms.map((from) => from.getBuildStage())).toEqual(["build", "node", "runtime"]);
    const images = froms.map((from) => resolve(from.getImage() ?? ""));
    expect(images[0]).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    expect(images[1]).toBe(images[0]);
    expect(images[2]).toMatch(/^vllm\/vllm-openai:v0\.13\.\d+$/);
  });

  test("prunes the production tree with pnpm deploy of the CLI package, pinned to the repo's pnpm", () => {
    const text = readApp("Dockerfile");
    const cli = JSON.parse(readFileSync(join(repoRoot, "packages/cli/package.json"), "utf8")) as {
      name: string;
      bin: Record<string, string>;
    };
    expect(text).toContain(`pnpm --filter ${cli.name} deploy --prod /opt/llmux`);
    // The `llmux` command in the image is the CLI package's own bin.
    expect(cli.bin.llmux).toBe("./dist/cli.js");
    expect(text).toContain("ln -s /opt/llmux/dist/cli.js /usr/local/bin/llmux");
    const rootPackage = readJson("../../package.json") as { packageManager: string };
    expect(rootPackage.packageManager).toBe(`pnpm@${globalArgs().get("PNPM_VERSION")}`);
  });

  test("every COPY source from the build context exists in the repository", () => {
    const copies = dockerfile.getCOPYs();
    const fromContext = copies.filter((copy) => !copy.getFlags().some((flag) => flag.getName() === "from"));
    expect(fromContext.length).toBeGreaterThan(0);
    for (const copy of fromContext) {
      const args = copy.getArguments().map((argument) => argument.getValue());
      for (const source of args.slice(0, -1)) {
        expect(existsSync(join(repoRoot, source)), `COPY source ${source}`).toBe(true);
      }
    }
    const stages = new Set(froms.map((from) => from.getBuildStage()));
    for (const copy of copies) {
      const from = copy.getFlags().find((flag) => flag.getName() === "from");
      if (from) expect(stages.has(from.getValue())).toBe(true);
    }
  });

  test("the build stage copies every root file that the packages' builds read", () => {
    const copied = new Set(
      dockerfile
        .getCOPYs()
        .filter((copy) => !copy.getFlags().some((flag) => flag.getName() === "from"))
        .flatMap((copy) =>
          copy
            .getArguments()
            .map((argument) => argument.getValue())
            .slice(0, -1),
        ),
    );
    const rootFiles = new Set<string>();
    for (const name of readdirSync(join(repoRoot, "packages"))) {
      for (const file of ["tsconfig.json", "tsup.config.ts"]) {
        const text = readFileSync(join(repoRoot, "packages", name, file), "utf8");
        for (const match of text.matchAll(/"\.\.\/\.\.\/([\w.-]+)"/g)) rootFiles.add(match[1]!.replace(/\.js$/, ".ts"));
      }
    }
    expect([...rootFiles].sort()).toEqual(["tsconfig.base.json", "tsup.base.ts"]);
    for (const file of rootFiles) expect(copied.has(file), `COPY ${file}`).toBe(true);
  });

  test("runs llmux with the mounted config, as a non-root user, with a health check on /health", () => {
    expect(jsonArguments(lastOf("ENTRYPOINT"))).toEqual(["llmux"]);
    expect(jsonArguments(lastOf("CMD"))).toEqual(["--config", "/etc/llmux/config.json"]);
    expect(lastOf("USER").getArgumentsContent()).toBe("llmux");
    expect(jsonArguments(lastOf("HEALTHCHECK")).slice(0, 2)).toEqual(["node", "-e"]);
    expect(lastOf("EXPOSE").getArgumentsContent()?.split(/\s+/)).toEqual(["3000", "9090"]);
  });

  test("a .dockerignore keeps local builds and dependencies out of the context", () => {
    const ignore = readFileSync(join(repoRoot, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["**/node_modules", "**/dist", ".git"]) expect(ignore).toContain(entry);
  });
});

describe("HEALTHCHECK probe, run for real", () => {
  const script = jsonArguments(lastOf("HEALTHCHECK"))[2] ?? "";
  let dir: string;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "llmux-healthcheck-"));
    server = createServer((req, res) => res.writeHead(req.url === "/health" ? 200 : 404).end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Exit code of the probe as Docker runs it, with only `env` (and PATH) set. */
  async function probe(env: Record<string, string>): Promise<number | null> {
    const child = spawn(process.execPath, ["-e", script], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: "ignore" });
    return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }

  test("asks the port of the mounted config, and fails when nothing answers there", async () => {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ port, models: {} }));
    expect(await probe({ LLMUX_CONFIG: config })).toBe(0);
    writeFileSync(config, JSON.stringify({ port: port === 65535 ? 65534 : port + 1, models: {} }));
    expect(await probe({ LLMUX_CONFIG: config })).toBe(1);
  });

  test("LLMUX_HEALTH_PORT wins over the config (a --port on the command line)", async () => {
    const config = join(dir, "other.json");
    writeFileSync(config, JSON.stringify({ port: 1, models: {} }));
    expect(await probe({ LLMUX_CONFIG: config, LLMUX_HEALTH_PORT: String(port) })).toBe(0);
  });
});
