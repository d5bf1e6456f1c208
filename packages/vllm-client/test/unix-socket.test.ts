import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { groupSocketInodes } from "../src/listener-owner.js";
import { isLlmuxError } from "@llmux/types";
import { createSocketDir, socketProblem } from "../src/socket-dir.js";
import { armFault, ask, cleanupAfterEach, nextExit, onCleanup, simServer } from "./helpers.js";

cleanupAfterEach();

/** Inodes of every TCP socket in LISTEN state on this host, any port (`st` 0A in `/proc/net/tcp{,6}`). */
function allTcpListeners(): Set<string> {
  const inodes = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(1) : [];
    for (const fields of lines.map((line) => line.trim().split(/\s+/))) if (fields[3] === "0A" && fields[9]) inodes.add(fields[9]);
  }
  return inodes;
}

describe("VllmServer without a port", () => {
  it("serves on a Unix socket in a fresh 0700 directory, opens no TCP listener, and removes the directory on stop", async () => {
    const server = await simServer({ port: undefined });
    expect(server.url).toBe("http://localhost");
    await server.start();
    const socketPath = server.socketPath ?? "";
    expect(server.args).toEqual(expect.arrayContaining(["--uds", socketPath]));
    expect(server.args).not.toContain("--port");
    expect(Buffer.byteLength(socketPath)).toBeLessThanOrEqual(107);
    expect(lstatSync(socketPath).isSocket()).toBe(true);
    expect(lstatSync(dirname(socketPath)).mode & 0o777).toBe(0o700);
    expect(lstatSync(dirname(socketPath)).uid).toBe(process.getuid?.());
    const own = groupSocketInodes(server.pid ?? -1);
    expect(own.size).toBeGreaterThan(0);
    expect([...allTcpListeners()].filter((inode) => own.has(inode))).toEqual([]);
    // Requests, sleep and wake all go over the socket.
    expect(await ask(server)).not.toBe("");
    await server.sleep(1);
    expect(await server.control.isSleeping()).toBe(true);
    await server.wakeUp(1);
    expect(await ask(server)).not.toBe("");
    await server.stop();
    expect(existsSync(dirname(socketPath))).toBe(false);
  });

  it("takes a fresh directory for each start, and removes it when the engine dies on its own", async () => {
    const server = await simServer({ port: undefined });
    await server.start();
    const first = server.socketPath ?? "";
    const exited = nextExit(server);
    await armFault(server, "crash").catch(() => undefined);
    expect((await exited).expected).toBe(false);
    expect(existsSync(dirname(first))).toBe(false);
    await server.start();
    expect(server.socketPath).not.toBe(first);
    expect(await ask(server)).not.toBe("");
  });

  it("removes the directory when the engine exits before it is ready", async () => {
    const server = await simServer({ port: undefined, sim: { VLLM_SIM_FAIL_STARTUP: "boom" } });
    const spawned = new Promise<string[]>((resolve) => server.once("spawn", ({ argv }) => resolve(argv)));
    const error = await server.start().catch((caught: unknown) => caught);
    expect(isLlmuxError(error, "LLMUX_ERR_START_FAILED")).toBe(true);
    const argv = await spawned;
    const socketPath = argv[argv.indexOf("--uds") + 1] ?? "";
    expect(socketPath).toMatch(/vllm\.sock$/);
    expect(existsSync(dirname(socketPath))).toBe(false);
  });
});

describe("socketProblem", () => {
  const dirOf = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "llmux-t-"));
    onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  const listenOn = async (path: string): Promise<void> => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    onCleanup(() => new Promise((resolve) => server.close(() => resolve())));
  };

  it("refuses a socket that a process outside the engine's group listens on", async () => {
    const dir = dirOf();
    await listenOn(join(dir, "vllm.sock"));
    // The listener is this test process's: foreign to any other group, its own to this one.
    expect(socketProblem(dir, join(dir, "vllm.sock"), 999_999_999)).toBe("a process outside the engine's process group listens on it");
    // pgrp: the third field after the command in /proc/self/stat.
    const ownGroup = Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ")[2]);
    expect(socketProblem(dir, join(dir, "vllm.sock"), ownGroup)).toBeUndefined();
  });

  it("refuses a directory others can open, a path that is not a socket, and a missing socket", async () => {
    const dir = dirOf();
    await listenOn(join(dir, "vllm.sock"));
    chmodSync(dir, 0o755);
    expect(socketProblem(dir, join(dir, "vllm.sock"), process.pid)).toMatch(/mode 755, not 700/);
    chmodSync(dir, 0o700);
    writeFileSync(join(dir, "plain"), "");
    expect(socketProblem(dir, join(dir, "plain"), process.pid)).toBe("it is not a socket");
    expect(socketProblem(dir, join(dir, "absent"), process.pid)).toMatch(/cannot inspect it/);
  });

  it("refuses a socket path past the 107-byte limit, leaving no directory", () => {
    const base = dirOf();
    const deep = join(base, "d".repeat(100));
    mkdirSync(deep);
    let error: unknown;
    try {
      createSocketDir(deep);
    } catch (caught) {
      error = caught;
    }
    expect(isLlmuxError(error, "LLMUX_ERR_START_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/longer than 107 bytes/);
    expect(readdirSync(deep)).toEqual([]);
  });
});
