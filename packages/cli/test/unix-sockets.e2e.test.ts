import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { simConfig, waitGone, type Workspace } from "../src/testing/index.js";
import { chat, workspacePerTest } from "./helpers/test-kit.js";

let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

/** Inodes of the sockets `pid` holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1] !== undefined) inodes.add(match[1]);
    } catch {
      // closed while we looked
    }
  }
  return inodes;
}

/** Inodes of every TCP socket in LISTEN state (`st` 0A), any port. */
function tcpListeners(): Set<string> {
  const inodes = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === "0A" && fields[9] !== undefined) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** What a process of another user gets when it connects to `socketPath` (an errno code, or "connected"). */
function connectAs(uid: number, socketPath: string): string {
  const script = `const s=require("node:net").connect(${JSON.stringify(socketPath)});s.on("connect",()=>{console.log("connected");s.destroy()});s.on("error",(e)=>console.log(e.code))`;
  const result = spawnSync(process.execPath, ["-e", script], { uid, gid: uid, cwd: "/", encoding: "utf8", timeout: 10_000 });
  return (result.stdout || result.stderr).trim();
}

async function streamChat(url: string, model: string): Promise<string[]> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "stream please" }], max_tokens: 8, stream: true }),
    signal: AbortSignal.timeout(120_000),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => event.slice(6));
}

describe("engines on Unix sockets (models without a port)", () => {
  it("serves and switches every model over its socket in a 0700 directory, opens no TCP listener, and leaves nothing after shutdown", async () => {
    const config = await simConfig(workspace, [
      { name: "a", sleepLevel: 1 },
      { name: "b", sleepLevel: 2 },
    ]);
    for (const model of Object.values(config["models"] as Record<string, Record<string, unknown>>)) delete model["port"];
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();

    expect((await chat(url, "a")).status).toBe(200);
    const events = await streamChat(url, "b");
    expect(events.length).toBeGreaterThan(2);
    expect(events.at(-1)).toBe("[DONE]");
    expect((await chat(url, "a")).status).toBe(200);
    expect((await chat(url, "b")).status).toBe(200);

    const started = llmux.lines.filter((line) => line.msg === "vLLM process started");
    expect(started.map((line) => line["model"]).sort()).toEqual(["a", "b"]);
    const sockets = started.map((line) => {
      const argv = line["argv"] as string[];
      expect(argv).not.toContain("--port");
      return argv[argv.indexOf("--uds") + 1] ?? "";
    });
    for (const socketPath of sockets) {
      expect(lstatSync(socketPath).isSocket()).toBe(true);
      expect(lstatSync(dirname(socketPath)).mode & 0o777).toBe(0o700);
    }
    expect(new Set(sockets.map((socketPath) => dirname(socketPath))).size).toBe(2);

    // No engine process holds a TCP socket in LISTEN state.
    const pids = workspace.simPids();
    expect(pids).toHaveLength(2);
    const listening = tcpListeners();
    for (const pid of pids) expect([...socketInodes(pid)].filter((inode) => listening.has(inode))).toEqual([]);

    if (process.getuid?.() === 0) {
      // Another local user cannot even reach the socket: the directory's mode stops it at the path.
      for (const socketPath of sockets) {
        expect(connectAs(0, socketPath)).toBe("connected");
        expect(connectAs(65534, socketPath)).toBe("EACCES");
      }
    }

    await llmux.stop();
    expect((await llmux.exited).code).toBe(0);
    expect(await waitGone(pids)).toEqual([]);
    for (const socketPath of sockets) expect(existsSync(dirname(socketPath))).toBe(false);
  });
});
