import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { readCommandLine } from "../src/proc-info.js";
import { simConfig, type Workspace } from "../src/testing/index.js";
import { chat, simPidsOnPort, workspacePerTest } from "./helpers/test-kit.js";

/** Reload without restart (SIGHUP and POST /llmux/reload) through the built binary in front of vllm-sim processes. */
let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

type Config = Record<string, unknown> & { models: Record<string, Record<string, unknown>>; proxy?: Record<string, unknown> };

function simCrashes(): unknown[] {
  return workspace.events().filter((event) => event.event === "crash");
}

async function reload(url: string, key?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/llmux/reload`, { method: "POST", headers: key === undefined ? {} : { authorization: `Bearer ${key}` } });
  return { status: response.status, body: await response.json() };
}

/** A streaming chat request: the status, the `model` of its chunks, and whether it ended with `[DONE]` and no error event. */
async function stream(url: string, model: string): Promise<{ status: number; models: Set<string>; complete: boolean; text: string }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "go" }], max_tokens: 4, stream: true }),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  const models = new Set<string>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: {")) continue;
    const chunk = JSON.parse(line.slice(6)) as { model?: string };
    if (chunk.model !== undefined) models.add(chunk.model);
  }
  return { status: response.status, models, complete: text.includes("data: [DONE]") && !text.includes('"error"'), text };
}

describe("config reload through the binary", () => {
  it("reloads 100 times under load (models added, removed, changed) and loses no request", async () => {
    const base = (await simConfig(workspace, [
      { name: "a", sleepLevel: 1 },
      { name: "b", sleepLevel: 2 },
      { name: "c", sleepLevel: 1 },
    ])) as Config;
    // Two of the three fit at once: requests to all three keep the multiplexer switching.
    for (const model of Object.values(base.models)) model["gpu_memory_utilization"] = 0.45;
    const c = base.models["c"]!;
    const llmux = workspace.start(["--config", workspace.writeConfig(base)]);
    const url = await llmux.listening();

    let configured = new Set(["a", "b", "c"]);
    let stop = false;
    const failures: string[] = [];
    let answered = 0;
    const answeredBy = new Map<string, number>();
    let refusedRemoved = 0;
    const worker = async (index: number): Promise<void> => {
      for (let round = 0; !stop; round++) {
        const model = ["a", "b", "c"][(index + round) % 3]!;
        const wasConfigured = configured.has(model);
        const streaming = (index + round) % 2 === 0;
        const result = streaming ? await stream(url, model) : await chat(url, model, 4);
        const isConfigured = configured.has(model);
        if (result.status === 200) {
          const models = "models" in result ? [...result.models] : [result.body.model as string];
          const complete = "complete" in result ? result.complete : result.body.choices?.length === 1;
          if (complete && models.length === 1 && models[0] === model) {
            answered++;
            answeredBy.set(model, (answeredBy.get(model) ?? 0) + 1);
          } else failures.push(`${model}: wrong or incomplete answer ${JSON.stringify(result).slice(0, 300)}`);
        } else if (result.status === 404 && (!wasConfigured || !isConfigured)) {
          // Removed (before or while it was sent): a clear error, not a lost request.
          const code = "body" in result ? result.body.error?.code : JSON.parse(result.text).error?.code;
          if (code === "LLMUX_ERR_MODEL_NOT_FOUND") refusedRemoved++;
          else failures.push(`${model}: 404 with ${code}`);
        } else {
          failures.push(`${model}: ${result.status} ${JSON.stringify("body" in result ? result.body : result.text).slice(0, 300)}`);
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, index) => worker(index));

    let hupReloads = 0;
    for (let i = 1; i <= 100; i++) {
      const next: Config = { ...base, models: { ...base.models } };
      // c leaves and comes back; b's settings change every third reload; the rest stays as it was.
      if (i % 4 === 1 || i % 4 === 2) delete next.models["c"];
      else next.models["c"] = c;
      next.models["b"] = { ...base.models["b"], gpu_memory_utilization: Math.floor(i / 3) % 2 === 0 ? 0.45 : 0.4 };
      workspace.writeConfig(next);
      if (i % 10 === 0) {
        // SIGHUP: the outcome is a log line.
        const before = llmux.lines.filter((line) => line.msg.startsWith("config reloaded")).length;
        process.kill(llmux.pid, "SIGHUP");
        await llmux.waitForLine(() => llmux.lines.filter((line) => line.msg.startsWith("config reloaded")).length > before);
        hupReloads++;
      } else {
        const answer = await reload(url);
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      }
      configured = new Set(Object.keys(next.models));
      await sleep(60);
    }
    await sleep(500);
    stop = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    // How many finish depends on the machine's speed; that every model kept answering does not.
    expect([...answeredBy.keys()].sort()).toEqual(["a", "b", "c"]);
    expect(hupReloads).toBe(10);
    // The last config has c (i = 100: 100 % 4 === 0); nothing crashed, no sleep ran with requests in
    // flight and no request reached a sleeping model (the simulator crashes on either).
    expect(simCrashes()).toEqual([]);
    const metrics = (await (await fetch(`${url}/llmux/status`)).json()) as { models: Array<{ name: string }> };
    expect(metrics.models.map((m) => m.name).sort()).toEqual(["a", "b", "c"]);
    const reloadLines = llmux.lines.filter((line) => line.msg.startsWith("config reloaded"));
    expect(reloadLines).toHaveLength(100);
    expect(reloadLines.some((line) => (line["removed"] as string[]).includes("c"))).toBe(true);
    expect(reloadLines.some((line) => (line["changed"] as string[]).includes("b"))).toBe(true);
    // Removed models drained and stopped; b's changed settings took effect through cold starts.
    expect(llmux.lines.some((line) => line.msg === "c: removed by a reload, its requests done; stopped")).toBe(true);
    const bStarts = llmux.lines.filter(
      (line) => line["to"] === "b" && (line["phases"] as Array<{ phase: string }> | undefined)?.some((p) => p.phase === "start"),
    );
    expect(bStarts.length).toBeGreaterThan(1);
    console.log(`reload stress: ${answered} answered, ${refusedRemoved} refused for a removed model, 100 reloads`);
    await llmux.stop();
    expect((await llmux.exited).code).toBe(0);
  }, 240_000);

  it("refuses an invalid file with its JSON paths, reports restart-only settings, applies keys at once and restarts a changed model with its new arguments", async () => {
    const config = (await simConfig(workspace, [
      { name: "a", sleepLevel: 1 },
      { name: "b", sleepLevel: 1 },
    ])) as Config;
    for (const model of Object.values(config.models)) model["gpu_memory_utilization"] = 0.4;
    config["metrics_on_proxy_port"] = true;
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    expect((await chat(url, "a")).status).toBe(200);
    const aPort = config.models["a"]!["port"] as number;
    const [aPid] = simPidsOnPort(aPort);

    // Invalid: 400 in OpenAI's shape naming the path; nothing changed.
    workspace.writeConfig({ ...config, models: { ...config.models, b: { ...config.models["b"], sleep_level: 7 } } });
    const refused = await reload(url);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("LLMUX_ERR_CONFIG_RELOAD");
    expect(refused.body.error.message).toContain('models["b"].sleep_level');
    await llmux.waitForLine((line) => line.msg.startsWith("config reload (POST /llmux/reload) refused"));
    expect((await chat(url, "b")).status).toBe(200);

    // A changed model keeps serving (same process) until its next switch; keys apply to the next request;
    // a port change is reported, not ignored.
    const next: Config = {
      ...config,
      port: (config["port"] as number) + 1,
      proxy: { api_keys: ["k1"], admin_keys: ["adm"] },
      models: { ...config.models, a: { ...config.models["a"], gpu_memory_utilization: 0.5 } },
    };
    workspace.writeConfig(next);
    const applied = await reload(url);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ added: [], removed: [], changed: ["a"], unchanged: ["b"], restart_required: ["port"] });
    expect((await chat(url, "a")).status).toBe(401);
    const withKey = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k1" },
      body: JSON.stringify({ model: "a", messages: [{ role: "user", content: "x" }], max_tokens: 2 }),
    });
    expect(withKey.status).toBe(200);
    expect(simPidsOnPort(aPort)).toEqual([aPid]);
    // Now an admin key is set: a reload needs it.
    expect((await reload(url, "k1")).status).toBe(401);

    // Its next switch stops it (not a sleep); its next start has the new arguments.
    const stopped = await fetch(`${url}/llmux/models/a/sleep`, { method: "POST", headers: { authorization: "Bearer adm" } });
    expect(stopped.status).toBe(200);
    await llmux.waitForLine((line) => line["model"] === "a" && line["to"] === "stopped", 20_000);
    const reloadedOk = await reload(url, "adm");
    expect(reloadedOk.body).toMatchObject({ changed: [], unchanged: ["a", "b"] });
    const again = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer k1" },
      body: JSON.stringify({ model: "a", messages: [{ role: "user", content: "x" }], max_tokens: 2 }),
    });
    expect(again.status).toBe(200);
    const [newPid] = simPidsOnPort(aPort);
    expect(newPid).not.toBe(aPid);
    const argv = readCommandLine(newPid!) ?? [];
    expect(argv[argv.indexOf("--gpu-memory-utilization") + 1]).toBe("0.5");

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('llmux_config_reloads_total{result="invalid"} 1');
    expect(metrics).toContain('llmux_config_reloads_total{result="ok"} 2');
    expect(simCrashes()).toEqual([]);
    await llmux.stop();
    expect((await llmux.exited).code).toBe(0);
  }, 120_000);
});
