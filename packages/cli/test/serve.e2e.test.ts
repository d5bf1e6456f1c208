import { describe, expect, it } from "vitest";
import { simConfig, type Workspace } from "../src/testing/index.js";
import { chat, workspacePerTest } from "./helpers/test-kit.js";

/**
 * The built `llmux` binary as a child process in front of real `vllm-sim`
 * processes: what a user runs.
 */
let workspace: Workspace;
workspacePerTest((created) => {
  workspace = created;
});

describe("llmux serving simulated models", () => {
  it("answers requests alternating among three models, each by the right model", async () => {
    const config = await simConfig(workspace, [
      { name: "m1", sleepLevel: 1 },
      { name: "m2", sleepLevel: 2 },
      { name: "m3", sleepLevel: 3 },
    ]);
    const llmux = workspace.start(["--config", workspace.writeConfig(config), "--log-level", "debug"]);
    const url = await llmux.listening();

    for (const model of ["m1", "m2", "m3", "m1", "m3", "m2", "m1"]) {
      const { status, body } = await chat(url, model);
      expect(status).toBe(200);
      expect(body.model).toBe(model);
      expect(body.choices[0].message.content).toMatch(new RegExp(`^\\[${model}\\]`));
    }
    // Concurrent requests for different models are all answered too.
    const concurrent = await Promise.all(["m2", "m1", "m3", "m2", "m1"].map((model) => chat(url, model)));
    expect(concurrent.map((result) => result.body.model)).toEqual(["m2", "m1", "m3", "m2", "m1"]);

    // A switch line with its phases, state lines, and request lines at debug.
    const switchLine = await llmux.waitForLine(
      (line) => line["switch_id"] !== undefined && line["result"] === "ok" && Array.isArray(line["phases"]) && (line["phases"] as unknown[]).length > 1,
    );
    expect(switchLine.msg).toMatch(/^switch \d+ to m\d ok in [\d.]+s: drain /);
    expect(llmux.lines.some((line) => line["from"] === "asleep" && line["to"] === "waking")).toBe(true);
    expect(llmux.lines.some((line) => line.level === 20 && line.msg.startsWith("POST /v1/chat/completions m1 200"))).toBe(true);
    // The simulator never saw a request while asleep, nor a sleep with requests running.
    expect(workspace.events().filter((event) => event.event === "crash")).toEqual([]);

    // One request id on the client's response, llmux's request line and the engine's events.
    const traced = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-7" },
      body: JSON.stringify({ model: "m2", messages: [{ role: "user", content: "hello" }], max_tokens: 3 }),
    });
    expect(traced.status).toBe(200);
    expect(traced.headers.get("x-request-id")).toBe("trace-7");
    await traced.text();
    await llmux.waitForLine((line) => line["request_id"] === "trace-7" && line.msg.startsWith("POST /v1/chat/completions m2 200"));
    const engineEvents = workspace.events().filter((event) => event.request_id === "trace-7");
    expect(engineEvents.map((event) => [event.model, event.event])).toEqual([
      ["m2", "request_start"],
      ["m2", "request_end"],
    ]);

    await llmux.stop();
    expect((await llmux.exited).code).toBe(0);
  });

  it("finishes a streaming request while a switch waits behind it", async () => {
    const config = await simConfig(workspace, [
      { name: "slow", sleepLevel: 1, env: { VLLM_SIM_TOKENS_PER_SEC: "20" } },
      { name: "other", sleepLevel: 1 },
    ]);
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();

    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "slow",
        messages: [{ role: "user", content: "story" }],
        max_tokens: 30,
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal: AbortSignal.timeout(120_000),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    // Wait for the stream's first chunk, then ask for the other model.
    while (!text.includes("data: ")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    let otherAnsweredAt = 0;
    const other = chat(url, "other").then((result) => {
      otherAnsweredAt = Date.now();
      return result;
    });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const streamEndedAt = Date.now();

    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(text).not.toContain('"error"');
    const events = text
      .split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map((line) => JSON.parse(line.slice("data: ".length)));
    // The stream ran to its natural end: a finish reason, the usage chunk, and the simulator saw it complete.
    expect(events.at(-1).usage.completion_tokens).toBeGreaterThan(0);
    expect(events.some((event) => ["length", "stop"].includes(event.choices[0]?.finish_reason))).toBe(true);
    const { status, body } = await other;
    expect(status).toBe(200);
    expect(body.model).toBe("other");
    // The switch waited for the stream (drain), so the other model answered after it ended.
    expect(otherAnsweredAt).toBeGreaterThanOrEqual(streamEndedAt);
    // (Read after the other model answered: the switch began only once the stream's request had ended.)
    const ends = workspace.events().filter((event) => event.model === "slow" && event.event === "request_end");
    expect(ends.map((event) => (event as { outcome?: string }).outcome)).toEqual(["completed"]);
    expect(workspace.events().filter((event) => event.event === "crash")).toEqual([]);
  });

  it("gives clients an error quoting vLLM's last log lines when a model cannot start", async () => {
    const reason = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB";
    const config = await simConfig(workspace, [
      { name: "broken", sleepLevel: 1, env: { VLLM_SIM_FAIL_STARTUP: reason } },
      { name: "fine", sleepLevel: 1 },
    ]);
    const llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();

    const { status, body } = await chat(url, "broken");
    expect(status).toBeGreaterThanOrEqual(500);
    expect(body.error.message).toContain("CUDA out of memory");
    // The log has the last lines too, even with vllm_logging off.
    const failure = await llmux.waitForLine((line) => line.level >= 50 && JSON.stringify(line).includes("CUDA out of memory"));
    expect(failure["model"]).toBe("broken");
    // The other model still works.
    expect((await chat(url, "fine")).body.model).toBe("fine");
  });
});
