import { describe, expect, it } from "vitest";
import { simConfig, type Workspace } from "../src/testing/index.js";
import { chat, workspacePerTest } from "./helpers/test-kit.js";

const ADMIN = { authorization: "Bearer sk-admin-switch" };

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("admin actions through the binary", () => {
  let workspace: Workspace;
  workspacePerTest((created) => {
    workspace = created;
  });

  it("records an admin sleep and wake as switches in the status, the metrics and the log; request events carry the request id", async () => {
    const config = await simConfig(workspace, [{ name: "m1", sleepLevel: 1 }], { proxy: { admin_keys: ["sk-admin-switch"] }, metrics_on_proxy_port: true });
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--log-level", "debug"]);
    const url = await llmux.listening();

    const first = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "req-admin-1" },
      body: JSON.stringify({ model: "m1", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }),
    });
    expect(first.status).toBe(200);
    expect((await fetch(`${url}/llmux/models/m1/sleep`, { method: "POST", headers: ADMIN })).status).toBe(200);
    expect((await fetch(`${url}/llmux/models/m1/wake`, { method: "POST", headers: ADMIN })).status).toBe(200);
    expect((await chat(url, "m1")).status).toBe(200);

    const status = (await (await fetch(`${url}/llmux/status`)).json()) as { switches: Array<Record<string, unknown>> };
    // Newest first: the admin wake, the admin sleep, the cold start the first request asked for.
    expect(status.switches.map((record) => [record["trigger"], record["from"], record["to"], record["result"]])).toEqual([
      ["admin", [], "m1", "ok"],
      ["admin", ["m1"], null, "ok"],
      ["request", [], "m1", "ok"],
    ]);
    const sleep = status.switches[1] as { phases: Array<{ phase: string; level: number | null; ok: boolean }> };
    expect(sleep.phases.map((phase) => [phase.phase, phase.level, phase.ok])).toEqual([
      ["drain", null, true],
      ["sleep", 1, true],
    ]);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(sample(metrics, 'llmux_switches_total{trigger="request",from="",to="m1",result="ok"}')).toBe(1);
    expect(sample(metrics, 'llmux_switches_total{trigger="admin",from="m1",to="",result="ok"}')).toBe(1);
    expect(sample(metrics, 'llmux_switches_total{trigger="admin",from="",to="m1",result="ok"}')).toBe(1);
    expect(sample(metrics, 'llmux_switch_phase_duration_seconds_count{phase="sleep",model="m1"}')).toBe(1);

    const adminSleep = await llmux.waitForLine(
      (line) => line["switch_id"] !== undefined && line["trigger"] === "admin" && Array.isArray(line["phases"]) && line["to"] === null,
    );
    expect(adminSleep.msg).toMatch(/^switch \d+ \(admin\) puts away m1 ok in [\d.]+s: drain m1 [\d.]+s, sleep m1\(L1\)/);
    const queued = await llmux.waitForLine((line) => line.msg === "request queued");
    expect(queued["request_id"]).toBe("req-admin-1");
    const admitted = await llmux.waitForLine((line) => line.msg === "request admitted" && line["request_id"] === "req-admin-1");
    expect(admitted["model"]).toBe("m1");
    // The engine saw the same id (llmux forwards it as x-request-id).
    expect(
      workspace
        .events()
        .filter((event) => event.request_id === "req-admin-1")
        .map((event) => event.event),
    ).toEqual(["request_start", "request_end"]);
  });
});
