import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Agent } from "undici";
import { chat, getJson, modelStates } from "./harness/client.js";
import { bump, printFigures } from "./harness/figures.js";
import { LlmuxRun } from "./harness/llmux-run.js";
import { SCALE } from "./harness/mode.js";
import { exchange, openSocket, rawChat, rawRequest } from "./harness/raw-http.js";
import { checkLog } from "./harness/sim-log.js";

// Hostile clients against the real binary: every case must get its status (or
// a closed connection where HTTP allows nothing else), llmux must keep
// answering /health, and no simulator may see one of vLLM's admin routes.

const run = new LlmuxRun();
const agent = new Agent({ connections: 16 });
let port = 0;
const figures = { cases: 0, byStatus: {} as Record<string, number>, closedWithoutAnswer: 0, healthChecks: 0 };

interface SimStats {
  sleeps: number;
  wakes: number;
  reloads: number;
  faults: number;
  paused: boolean;
  sleeping: boolean;
}

async function simStats(model: string): Promise<SimStats> {
  const stats = (await getJson(`${run.simUrl(model)}/_sim/stats`)) as SimStats | undefined;
  if (stats === undefined) throw new Error(`no stats from ${model}'s simulator`);
  return stats;
}

async function expectHealthy(): Promise<void> {
  const result = await exchange(port, [rawRequest("GET", "/health", { Connection: "close" })]);
  figures.healthChecks++;
  expect(result.statuses, `after a hostile case /health must answer; got:\n${result.text.slice(0, 300)}`).toEqual([200]);
}

/** Send one hostile exchange and check the answer's status (undefined: the server may only close). */
async function expectStatus(parts: Array<string | Buffer>, allowed: number[], options: { gapMs?: number; timeoutMs?: number } = {}): Promise<void> {
  for (let round = 0; round < SCALE.hostileRepeat; round++) {
    const result = await exchange(port, parts, { expectResponses: 1, ...options });
    figures.cases++;
    const status = result.statuses[0];
    if (status === undefined) figures.closedWithoutAnswer++;
    else bump(figures.byStatus, String(status));
    expect(status === undefined ? "closed" : status, `answer:\n${result.text.slice(0, 400)}`).toSatisfy((value: number | string) =>
      typeof value === "number" ? allowed.includes(value) : allowed.includes(0),
    );
    if (status !== undefined && status >= 400 && status !== 431 && status !== 408) {
      // Every error llmux writes itself is OpenAI-shaped.
      const body = result.text.slice(result.text.indexOf("\r\n\r\n") + 4);
      if (body.trim() !== "") expect(JSON.parse(body), `body: ${body}`).toHaveProperty("error.message");
    }
  }
  await expectHealthy();
}

beforeAll(async () => {
  await run.start({
    models: [
      { name: "m1", sleepLevel: 1, simArgs: ["--sim-tokens-per-sec", "40"] },
      { name: "m2", sleepLevel: 1, simArgs: ["--sim-startup-ms", "3000"] },
    ],
    proxy: { max_body_bytes: 1_048_576, headers_timeout_secs: 2, idle_timeout_secs: 3 },
  });
  port = Number(run.config["port"]);
  // Bring m1 up so its simulator is there to be probed.
  const warm = await chat(run.url, "m1", { dispatcher: agent, timeoutMs: 60_000 });
  expect(warm.result).toBe("ok");
});

afterAll(async () => {
  await agent.close();
  const stopped = await run.stop();
  printFigures("hostile-input", { ...figures, simulatorsLeftBehind: stopped.leftBehind.length });
  expect(stopped.leftBehind).toEqual([]);
});

describe("admin routes and path tricks never reach vLLM", () => {
  test("every probe is refused and the simulator's counters do not move", async () => {
    const before = await simStats("m1");
    const eventsBefore = run.workspace.events().length;
    const simPort = run.modelPorts.get("m1");
    const rpc = JSON.stringify({ method: "reload_weights" });
    const probes: Array<[string, string, number[], string?]> = [
      ["POST", "/sleep", [404]],
      ["POST", "/sleep?level=1", [404]],
      ["POST", "/wake_up", [404]],
      ["GET", "/is_sleeping", [404]],
      ["POST", "/collective_rpc", [404], rpc],
      ["POST", "/reset_prefix_cache", [404]],
      ["POST", "/pause?wait_for_inflight_requests=false", [404]],
      ["POST", "/resume", [404]],
      ["POST", "/_sim/fault", [404], JSON.stringify({ fault: "crash" })],
      ["GET", "/_sim/stats", [404]],
      ["GET", "/version", [404]],
      ["POST", "/v1/../sleep", [400]],
      ["POST", "/v1/chat/completions/../../sleep", [400]],
      ["POST", "/./sleep", [400]],
      ["POST", "//sleep", [400]],
      ["POST", "/%2Fsleep", [400]],
      ["POST", "/%2fsleep", [400]],
      ["POST", "/sl%65ep", [400]],
      ["POST", "/v1%2F..%2Fsleep", [400]],
      ["POST", "/v1/chat/completions%2F..%2F..%2Fcollective_rpc", [400], rpc],
      ["POST", "/v1/chat/completions/%2e%2e/%2e%2e/sleep", [400]],
      ["POST", "\\sleep", [400]],
      ["POST", "/v1\\..\\sleep", [400]],
      ["POST", `http://127.0.0.1:${simPort}/sleep`, [400]],
      ["POST", `http://127.0.0.1:${simPort}/collective_rpc`, [400], rpc],
      ["POST", "http://127.0.0.1/v1/chat/completions", [400]],
      ["POST", "/llmux/models/m1/sleep", [404]],
      ["POST", "/llmux/models/m1/../m1/sleep", [400]],
      ["POST", "/sleep#/v1/chat/completions", [400, 404]],
      ["POST", "/sleep?/v1/chat/completions", [404]],
      ["OPTIONS", "*", [400, 404]],
      ["CONNECT", `127.0.0.1:${simPort}`, [0, 400, 404, 405]],
    ];
    for (const [method, target, allowed, body] of probes) {
      const headers: Record<string, string> = { Connection: "close" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      await expectStatus([rawRequest(method, target, headers, body)], allowed);
    }
    // Headers that some proxies honour as the real target must change nothing.
    await expectStatus(
      [rawChat("m1", {}, { Connection: "close", "X-Original-URL": "/sleep", "X-Rewrite-URL": "/sleep", "X-Forwarded-Prefix": "/sleep" })],
      [200],
    );
    // A model name that is a path must not become one.
    for (const model of ["../sleep", "m1/../../sleep", "m1?x=/sleep", "/sleep"]) {
      await expectStatus([rawChat(model, {}, { Connection: "close" })], [404]);
    }

    const after = await simStats("m1");
    expect({ sleeps: after.sleeps, wakes: after.wakes, reloads: after.reloads, faults: after.faults, paused: after.paused, sleeping: after.sleeping }).toEqual({
      sleeps: before.sleeps,
      wakes: before.wakes,
      reloads: before.reloads,
      faults: before.faults,
      paused: before.paused,
      sleeping: before.sleeping,
    });
    const newEvents = run.workspace.events().slice(eventsBefore);
    expect(newEvents.filter((event) => ["sleep", "wake", "reload", "crash", "exit"].includes(event.event))).toEqual([]);
  });
});

describe("bodies", () => {
  const json = (body: string | Buffer, headers: Record<string, string> = {}): Buffer =>
    rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", Connection: "close", ...headers }, body);

  test("malformed, truncated and wrongly typed JSON answer 400; an unknown model 404", async () => {
    const cases: Array<[string | Buffer, number[]]> = [
      ['{"model":', [400]],
      ["not json", [400]],
      ["", [400]],
      ['{"model": 5}', [400]],
      ['{"model": null}', [400]],
      ['{"model": ["m1"]}', [400]],
      ['{"model": {"name": "m1"}}', [400]],
      ['{"model": true}', [400]],
      ['{"model": ""}', [400]],
      ["[]", [400]],
      ['[{"model":"m1"}]', [400]],
      ['"m1"', [400]],
      ["null", [400]],
      ['{"__proto__": {"model": "m1"}}', [400]],
      [Buffer.from([0x7b, 0x22, 0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), [400, 404]],
      ['{"model": "nope"}', [404]],
      [JSON.stringify({ model: "x".repeat(100_000) }), [400, 404]],
      [`{"model":"m1","x":${"[".repeat(200_000)}`, [400]],
    ];
    for (const [body, allowed] of cases) await expectStatus([json(body)], allowed);
  });

  test("Expect: 100-continue with a body over the limit answers 413 without asking for the body", async () => {
    const head = rawRequest("POST", "/v1/chat/completions", {
      "Content-Type": "application/json",
      "Content-Length": "50000000",
      Expect: "100-continue",
      Connection: "close",
    });
    const result = await exchange(port, [head], { expectResponses: 1 });
    figures.cases++;
    expect(result.statuses).toEqual([413]);
    await expectHealthy();
  });

  test("duplicate model keys route where vLLM reads them (the last one wins in both parsers)", async () => {
    const body = '{"model": "nope", "messages": [{"role": "user", "content": "dup"}], "max_tokens": 3, "temperature": 0, "model": "m1"}';
    const result = await exchange(port, [json(body)], { expectResponses: 1, timeoutMs: 60_000 });
    figures.cases++;
    expect(result.statuses).toEqual([200]);
    expect(result.text).toContain('"content":"[m1]');
    await expectHealthy();
  });

  test("wrong or missing Content-Type answers 415", async () => {
    const body = JSON.stringify({ model: "m1", messages: [] });
    await expectStatus([rawRequest("POST", "/v1/chat/completions", { "Content-Type": "text/plain", Connection: "close" }, body)], [415]);
    await expectStatus([rawRequest("POST", "/v1/chat/completions", { Connection: "close" }, body)], [415]);
  });

  test("a declared body over max_body_bytes answers 413 before any byte of it is sent", async () => {
    // Only the headers go out, so the answer cannot race the upload (see the next test for that race).
    // (llmux first waits a few seconds for a body to drain; the answer must still come.)
    await expectStatus([rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", "Content-Length": "5000000000" })], [413], {
      timeoutMs: 30_000,
    });
  });

  test("a client still sending a large body reads its 413 (no reset before the answer)", async () => {
    // The 413 is written while the client is still uploading; if llmux then closes with unread
    // bytes in its receive buffer the kernel sends a reset and the client never sees the answer.
    // Several tries of each kind: whether the reset wins is a race.
    const chunk = Buffer.concat([Buffer.from("10000\r\n"), Buffer.alloc(0x10000, 0x20), Buffer.from("\r\n")]);
    const uploads: Array<[string, Buffer[]]> = [
      ["declared 1.2 MB", [json(Buffer.alloc(1_200_000, 0x20))]],
      ["declared 8 MB", [json(Buffer.alloc(8_000_000, 0x20))]],
      [
        "chunked 1.3 MB",
        [
          rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", "Transfer-Encoding": "chunked" }),
          ...Array.from({ length: 20 }, () => chunk),
          Buffer.from("0\r\n\r\n"),
        ],
      ],
    ];
    const seen: Record<string, number> = {};
    const tries = 8 * SCALE.hostileRepeat;
    for (const [label, parts] of uploads) {
      for (let attempt = 0; attempt < tries; attempt++) {
        const result = await exchange(port, parts, { expectResponses: 1 });
        figures.cases++;
        bump(seen, `${label}: ${result.statuses[0] ?? "reset"}`);
      }
    }
    expect(seen, "answers to uploads over max_body_bytes").toEqual(Object.fromEntries(uploads.map(([label]) => [`${label}: 413`, tries])));
    await expectHealthy();
  });

  test("framing attacks answer 400", async () => {
    const body = JSON.stringify({ model: "m1" });
    const cases: Buffer[] = [
      rawRequest(
        "POST",
        "/v1/chat/completions",
        { "Content-Type": "application/json", "Content-Length": String(body.length), "Transfer-Encoding": "chunked" },
        `0\r\n\r\n${body}`,
      ),
      Buffer.from(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ),
      rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", "Content-Length": "-1" }, ""),
      rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", "Content-Length": "abc" }, ""),
      rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", "Transfer-Encoding": "gzip, chunked, identity" }, "0\r\n\r\n"),
      Buffer.from("GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n", "latin1"),
      Buffer.from("GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n"),
      Buffer.from("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003", "latin1"),
    ];
    for (const bytes of cases) await expectStatus([bytes], [0, 400, 501]);
  });
});

describe("headers", () => {
  test("a huge header, many headers and a huge URL answer 431 (or 414)", async () => {
    await expectStatus([rawRequest("GET", "/health", { "X-Huge": "a".repeat(64 * 1024) })], [431]);
    const many: Record<string, string> = {};
    for (let index = 0; index < 3000; index++) many[`x-h${index}`] = "v";
    await expectStatus([rawRequest("GET", "/health", many)], [431]);
    await expectStatus([rawRequest("GET", `/health?${"q".repeat(40_000)}`)], [414, 431]);
  });
});

describe("slow clients", () => {
  test("headers dribbled past headers_timeout_secs are cut off while others are served", async () => {
    const head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    const dribble = [head, ...Array.from({ length: 40 }, (_, index) => `X-Slow-${index}: 1\r\n`)];
    const pending = exchange(port, dribble, { gapMs: 250, timeoutMs: 20_000 });
    await sleep(500);
    await expectHealthy();
    const result = await pending;
    figures.cases++;
    // Node answers 408 to a headers timeout; a close is also acceptable, a served request is not.
    expect(result.closedByServer, "a client that never finishes its headers must be disconnected").toBe(true);
    expect(result.statuses.every((status) => status === 408)).toBe(true);
    await expectHealthy();
  });

  test("many half-open connections (slowloris) do not stop /health", async () => {
    const sockets = await Promise.all(Array.from({ length: 50 }, () => openSocket(port)));
    try {
      for (const socket of sockets) socket.write("GET /health HTTP/1.1\r\nHost: x\r\n");
      await expectHealthy();
      const ok = await chat(run.url, "m1", { dispatcher: agent, timeoutMs: 60_000 });
      expect(ok.result).toBe("ok");
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  test("a body dribbled within the idle timeout is served", async () => {
    const body = JSON.stringify({ model: "m1", messages: [{ role: "user", content: "slow" }], max_tokens: 3, temperature: 0 });
    const head = rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", "Content-Length": String(body.length), Connection: "close" });
    const pieces = [head, ...(body.match(/.{1,12}/gs) ?? [])];
    await expectStatus(pieces, [200], { gapMs: 150, timeoutMs: 30_000 });
  });

  test("a body that stalls answers 408 after the idle timeout", async () => {
    const head = rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", "Content-Length": "200", Connection: "close" });
    await expectStatus([head, '{"model": "m1", "messages": ['], [408], { timeoutMs: 20_000 });
  });
});

describe("pipelining", () => {
  test("pipelined requests are answered in order", async () => {
    const result = await exchange(
      port,
      [Buffer.concat([rawRequest("GET", "/health"), rawChat("m1"), rawRequest("GET", "/v1/models", { Connection: "close" })])],
      { expectResponses: 3, timeoutMs: 30_000 },
    );
    figures.cases++;
    expect(result.statuses).toEqual([200, 200, 200]);
    expect(result.text).toContain("[m1]");
    expect(result.text.indexOf('"status":"ok"')).toBeLessThan(result.text.indexOf("[m1]"));
    expect(result.text.indexOf("[m1]")).toBeLessThan(result.text.indexOf('"object":"list"'));
  });

  test("an admin route pipelined between two good requests is refused alone", async () => {
    const before = await simStats("m1");
    const result = await exchange(
      port,
      [Buffer.concat([rawChat("m1"), rawRequest("POST", "/sleep"), rawRequest("POST", "/v1/../collective_rpc"), rawChat("m1", {}, { Connection: "close" })])],
      { expectResponses: 4, timeoutMs: 30_000 },
    );
    figures.cases++;
    expect(result.statuses.slice(0, 2)).toEqual([200, 404]);
    // After a 400 for a bad target the server may close the connection; nothing else may happen.
    expect([
      [200, 404, 400, 200],
      [200, 404, 400],
    ]).toContainEqual(result.statuses);
    const after = await simStats("m1");
    expect(after.sleeps).toBe(before.sleeps);
    expect(after.reloads).toBe(before.reloads);
  });
});

describe("disconnects at every phase", () => {
  test("before the headers end and mid-body", async () => {
    for (let round = 0; round < SCALE.hostileRepeat * 5; round++) {
      const partialHead = await openSocket(port);
      partialHead.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Ty");
      partialHead.destroy();
      const midBody = await openSocket(port);
      midBody.write(rawRequest("POST", "/v1/chat/completions", { "Content-Type": "application/json", "Content-Length": "300" }));
      midBody.write('{"model": "m1", "messages": [{"role": "user", "content": "');
      await sleep(20);
      midBody.destroy();
      figures.cases += 2;
    }
    await expectHealthy();
    await waitIdle();
  });

  test("after the request, before the answer: the engine's request is cancelled", async () => {
    const cancelledBefore = cancelled("m1");
    const socket = await openSocket(port);
    socket.write(rawChat("m1", { max_tokens: 200 }));
    await waitFor(() => running("m1") > 0, "the request to reach the engine");
    socket.destroy();
    figures.cases++;
    await waitFor(() => cancelled("m1") > cancelledBefore, "the engine to see the request cancelled");
    await expectHealthy();
    await waitIdle();
  });

  test("mid-stream: the engine's request is cancelled", async () => {
    const cancelledBefore = cancelled("m1");
    const socket = await openSocket(port);
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
    });
    socket.write(rawChat("m1", { max_tokens: 200, stream: true }));
    await waitFor(() => received.includes("data: "), "the first SSE chunk");
    socket.destroy();
    figures.cases++;
    await waitFor(() => cancelled("m1") > cancelledBefore, "the engine to see the stream cancelled");
    await expectHealthy();
    await waitIdle();
  });

  test("while queued for a switch: the request leaves the queue and llmux stays up", async () => {
    const socket = await openSocket(port);
    socket.write(rawChat("m2"));
    await waitFor(async () => (await modelStates(run.url)).some((model) => model.name === "m2" && model.queue_depth > 0), "the request to queue for m2");
    socket.destroy();
    figures.cases++;
    await expectHealthy();
    await waitIdle();
    // Both models still serve, and no engine crashed on the way.
    expect((await chat(run.url, "m2", { dispatcher: agent, timeoutMs: 60_000 })).result).toBe("ok");
    expect((await chat(run.url, "m1", { dispatcher: agent, timeoutMs: 60_000 })).result).toBe("ok");
    const verdict = checkLog(run.workspace.events());
    expect(verdict.forbiddenCrashes).toEqual([]);
    expect(verdict.requestsWhileAsleep).toBe(0);
    expect(verdict.sleepsWhileRunning).toBe(0);
  });
});

function engineRequests(model: string, outcome?: string): number {
  return run.workspace
    .events()
    .filter(
      (event) =>
        event.model === model && (outcome === undefined ? event.event === "request_start" : event.event === "request_end" && event["outcome"] === outcome),
    ).length;
}

function cancelled(model: string): number {
  return engineRequests(model, "cancelled");
}

function running(model: string): number {
  const events = run.workspace.events().filter((event) => event.model === model);
  return events.filter((event) => event.event === "request_start").length - events.filter((event) => event.event === "request_end").length;
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Every model ends with nothing queued or in flight: no request was left hanging inside llmux. */
async function waitIdle(): Promise<void> {
  await waitFor(async () => {
    const models = await modelStates(run.url);
    return models.length > 0 && models.every((model) => model.queue_depth === 0 && model.in_flight === 0);
  }, "every model to be idle (no queue, nothing in flight)");
}
