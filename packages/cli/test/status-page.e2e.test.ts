import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Browser, type Page, launch } from "puppeteer-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LlmuxProcess, simConfig, type Workspace } from "../src/testing/index.js";
import { chat, pausingConfig, postChat, workspacePerTest } from "./helpers/test-kit.js";

/**
 * The status page in a real browser: Debian's `chromium`, headless, driven by
 * puppeteer-core, against the built `llmux` binary in front of vllm-sim.
 * `LLMUX_SCREENSHOT=<file.png>` also saves a screenshot (the README's).
 */
const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find(
  (path): path is string => path !== undefined && path !== "" && existsSync(path),
);
if (CHROMIUM === undefined) {
  console.warn("status page browser test skipped: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)");
}

const ADMIN_KEY = "sk-admin-page-test";

/** What the page showed: each model state as it appeared, with the wall-clock time it appeared. */
interface Shown {
  model: string;
  state: string;
  at: number;
}

describe.skipIf(CHROMIUM === undefined)("the status page in headless Chromium", () => {
  let browser: Browser;
  let workspace: Workspace;
  let llmux: LlmuxProcess;
  let page: Page;

  beforeAll(async () => {
    browser = await launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  workspacePerTest((created) => {
    workspace = created;
  });
  afterEach(async () => {
    await page?.close().catch(() => undefined);
  });

  async function shown(): Promise<Shown[]> {
    return page.evaluate(() => (window as unknown as { shownStates: Shown[] }).shownStates);
  }

  async function stateOf(model: string): Promise<string | null> {
    return page.$eval(`[data-model="${model}"] .state`, (node) => node.getAttribute("data-state")).catch(() => null);
  }

  async function waitForState(model: string, state: string, timeoutMs = 30_000): Promise<void> {
    await page.waitForSelector(`[data-model="${model}"] .state[data-state="${state}"]`, { timeout: timeoutMs });
  }

  it("shows every state change from one live feed (no polling), and its sleep/wake/stop controls work", async () => {
    const config = await simConfig(
      workspace,
      [
        { name: "m1", sleepLevel: 1 },
        { name: "m2", sleepLevel: 1 },
      ],
      { proxy: { api_keys: ["sk-user"], admin_keys: [ADMIN_KEY] } },
    );
    (config.models as Record<string, { aliases?: string[] }>).m1!.aliases = ["gpt-4o-mini"];
    llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();

    page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 760 });
    // Record every state the page puts on screen (the nodes a render adds), with when it appeared.
    await page.evaluateOnNewDocument(() => {
      const log: { model: string; state: string; at: number }[] = [];
      (window as unknown as { shownStates: typeof log }).shownStates = log;
      new MutationObserver((records) => {
        const at = Date.now();
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (!(node instanceof HTMLElement) || node.dataset.model === undefined) continue;
            const state = node.querySelector(".state")?.getAttribute("data-state");
            if (state) log.push({ model: node.dataset.model, state, at });
          }
        }
      }).observe(document, { childList: true, subtree: true });
    });
    // The page is fed by one subscription: count what it asks the server for.
    const feedRequests: string[] = [];
    page.on("request", (request) => {
      const path = new URL(request.url()).pathname;
      if (path === "/llmux/events" || path === "/llmux/status") feedRequests.push(path);
    });
    await page.goto(`${url}/llmux/`);
    // Without a key the feed answers 401 and the page says what it needs.
    await page.waitForSelector('#connection[data-state="error"]');
    await page.type("#key", ADMIN_KEY);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#connection[data-state="live"]');
    await waitForState("m1", "stopped");
    expect(await page.$eval('[data-model="m1"] .aliases', (node) => node.textContent)).toContain("gpt-4o-mini");

    // Requests that start m1, switch to m2 (m1 sleeps), and back (m2 sleeps, m1 wakes).
    for (const model of ["gpt-4o-mini", "m2", "m1"]) {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer sk-user" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 4 }),
      });
      expect(response.status).toBe(200);
    }
    await waitForState("m1", "awake");
    await waitForState("m2", "asleep");

    // Every state change llmux logged appeared on the page. How soon is logged, not asserted (tests do
    // not assert on wall-clock speed; on a quiet machine the slowest is about 100 ms).
    const changes = llmux.lines.filter((line) => typeof line["to"] === "string" && typeof line["model"] === "string" && typeof line["from"] === "string");
    expect(changes.map((line) => `${line["model"] as string}:${line["to"] as string}`)).toEqual(
      expect.arrayContaining(["m1:starting", "m1:awake", "m1:draining", "m1:sleeping", "m1:asleep", "m2:starting", "m2:awake", "m2:asleep", "m1:waking"]),
    );
    const seen = await shown();
    const lags: number[] = [];
    for (const change of changes) {
      const at = change["time"] as number;
      // The first time the page showed this state after llmux logged it (5 ms of slack: the two clocks are read apart).
      const match = seen.find((entry) => entry.model === change["model"] && entry.state === change["to"] && entry.at >= at - 5);
      expect(match, `${change["model"] as string} -> ${change["to"] as string} at ${at}`).toBeDefined();
      lags.push(match!.at - at);
    }
    console.info(`status page: ${lags.length} state changes shown, slowest after ${Math.max(...lags)} ms`);
    // Two subscriptions (refused without a key, then live), never a poll of the status.
    expect(feedRequests).toEqual(["/llmux/events", "/llmux/events"]);
    // The switches list shows each switch with its phases.
    const switches = await page.$$eval("#switches li", (items) => items.map((item) => item.textContent ?? ""));
    expect(switches.length).toBeGreaterThanOrEqual(2);
    expect(switches.join("\n")).toMatch(/m2 → m1: ok .*drain m2/s);

    if (process.env.LLMUX_SCREENSHOT) {
      mkdirSync(dirname(process.env.LLMUX_SCREENSHOT), { recursive: true });
      await page.screenshot({ path: process.env.LLMUX_SCREENSHOT as `${string}.png` });
    }

    // The controls: sleep m1, wake it, stop it.
    await page.click('[data-model="m1"] button[data-action="sleep"]');
    await waitForState("m1", "asleep");
    await page.click('[data-model="m1"] button[data-action="wake"]');
    await waitForState("m1", "awake");
    await page.click('[data-model="m1"] button[data-action="stop"]');
    await waitForState("m1", "stopped");
    const status = (await (await fetch(`${url}/llmux/status`, { headers: { authorization: "Bearer sk-user" } })).json()) as {
      models: { name: string; state: string }[];
    };
    expect(status.models.find((model) => model.name === "m1")?.state).toBe("stopped");
    expect(await page.$eval("#message", (node) => (node as HTMLElement).hidden)).toBe(true);

    // Readable on a phone: nothing wider than the screen.
    await page.setViewport({ width: 390, height: 844, isMobile: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await stateOf("m2")).toBe("asleep");
  });

  it("shows a request paused by a switch while it is paused, and drops it when it resumes", async () => {
    // m2 starts slowly, so m1's request stays paused long enough to be seen.
    const config = await pausingConfig(workspace, 2000);
    llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    page = await browser.newPage();
    await page.goto(`${url}/llmux/`);
    await page.waitForSelector('#connection[data-state="live"]');

    const story = postChat(url, "m1", { max_tokens: 80, temperature: 0, ignore_eos: true, stream: true }, { "x-request-id": "page-story" });
    await waitForState("m1", "awake");
    await page.waitForFunction(() => document.querySelector('[data-model="m1"] [data-field="in_flight"]')?.textContent === "1", { timeout: 30_000 });
    const other = postChat(url, "m2", { max_tokens: 3 });

    const item = '[data-model="m1"] .paused li[data-request-id="page-story"]';
    await page.waitForSelector(item, { timeout: 30_000 });
    const text = await page.$eval(item, (node) => node.textContent ?? "");
    expect(text).toMatch(/^page-story · [1-9]\d* tokens · since /);
    expect(await page.$eval('[data-model="m1"] [data-field="paused"]', (node) => node.textContent)).toBe("1");

    expect((await other).status).toBe(200);
    const answer = await (await story).text();
    expect(answer.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(answer).not.toContain('"error"');
    await page.waitForSelector(item, { hidden: true, timeout: 30_000 });
    expect(await page.$eval('[data-model="m1"] [data-field="paused"]', (node) => node.textContent)).toBe("0");
  });
});

describe("logs over HTTP from the built binary", () => {
  let workspace: Workspace;
  let llmux: LlmuxProcess;
  workspacePerTest((created) => {
    workspace = created;
  });

  it("serves logs over HTTP: llmux's own lines and a model's vLLM output, no key in them", async () => {
    const config = await simConfig(workspace, [{ name: "m1", sleepLevel: 1 }], { proxy: { admin_keys: [ADMIN_KEY] } });
    llmux = workspace.start(["--config", workspace.writeConfig(config)]);
    const url = await llmux.listening();
    expect((await chat(url, "m1")).status).toBe(200);
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    expect((await fetch(`${url}/llmux/logs`)).status).toBe(401);
    const own = await (await fetch(`${url}/llmux/logs`, { headers: admin })).text();
    expect(own.split("\n").some((line) => line.startsWith("{") && line.includes("llmux listening"))).toBe(true);
    const vllm = await (await fetch(`${url}/llmux/logs/m1`, { headers: admin })).text();
    expect(vllm).toMatch(/Uvicorn running|Starting vLLM API server|Application startup complete/);
    expect(`${own}${vllm}`).not.toContain(ADMIN_KEY);
  });
});
