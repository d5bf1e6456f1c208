import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { useSims, waitFor } from "./helpers.js";

describe("--uds", () => {
  const sim = useSims();
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const socketIn = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "sim-uds-"));
    dirs.push(dir);
    return join(dir, "s.sock");
  };
  const call = (socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath, method, path, headers: body === undefined ? {} : { "content-type": "application/json" } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.once("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  it("serves every route on the socket, not on host and port, and removes the socket file on exit", async () => {
    const path = socketIn();
    const s = await sim({ model: "m", args: ["--uds", path], waitReady: false });
    await waitFor(
      () =>
        call(path, "GET", "/health")
          .then((r) => r.status === 200)
          .catch(() => false),
      "health over the socket",
    );
    expect(lstatSync(path).isSocket()).toBe(true);
    const chat = await call(path, "POST", "/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 3 });
    expect(chat.status).toBe(200);
    expect((JSON.parse(chat.text) as { model: string }).model).toBe("m");
    expect((await call(path, "POST", "/sleep?level=1")).status).toBe(200);
    expect(JSON.parse((await call(path, "GET", "/is_sleeping")).text)).toEqual({ is_sleeping: true });
    // host and port are ignored: nothing answers on the TCP port it was also given.
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
    expect(s.logs().join("\n")).toContain(`Starting vLLM API server 0 on unix:${path}`);
    expect(s.events()[0]).toMatchObject({ event: "ready", uds: path });
    await s.stop();
    expect(existsSync(path)).toBe(false);
  });

  it("exits 1 when the socket path is taken and leaves the file that was there", async () => {
    const path = socketIn();
    writeFileSync(path, "someone else's");
    const s = await sim({ args: ["--uds", path], waitReady: false });
    expect((await s.exited).code).toBe(1);
    expect(s.logs().some((line) => line.includes("ERROR") && line.includes(`Address already in use: ${path}`))).toBe(true);
    expect(existsSync(path)).toBe(true);
  });
});
