import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { rawRequest } from "./helpers/http.js";
import { useFakeProxy } from "./helpers/fake-proxy.js";
import { parseStatus, statusResponseSchema } from "./status-schema.js";

const committed = new URL("../status.schema.json", import.meta.url);

describe("the /llmux/status schema", () => {
  it("matches the committed status.schema.json (LLMUX_WRITE_SCHEMA=1 rewrites it)", () => {
    const text = `${JSON.stringify(z.toJSONSchema(statusResponseSchema, { io: "output" }), null, 2)}\n`;
    if (process.env.LLMUX_WRITE_SCHEMA === "1") writeFileSync(committed, text);
    expect(readFileSync(committed, "utf8")).toBe(text);
  });

  const fakeProxy = useFakeProxy(["alpha", "beta"], (mux) => {
    mux.states.set("beta", "stopped");
  });

  it("a real response fits it; a stopped model has sleep_level null; the status request is not in in_flight", async () => {
    const { url } = await fakeProxy();
    const status = parseStatus(JSON.parse((await rawRequest(url, { path: "/llmux/status" })).body));
    expect(status.proxy.in_flight).toBe(0);
    expect(status.models.find((model) => model.name === "beta")).toMatchObject({ state: "stopped", sleep_level: null });
    expect(Math.abs(status.generated_at - Date.now())).toBeLessThan(60_000);
  });

  it("refuses a field the schema does not know (camelCase leftovers fail)", () => {
    const view = {
      version: "x",
      uptime_secs: 0,
      proxy: { in_flight: 0, closing: false },
      generated_at: 0,
      policy: "fifo",
      closing: false,
      admin_controls: false,
      models: [],
      gpus: [],
      switches: [],
      preload: { state: "idle", total: 0, done: 0, models: [] },
    };
    expect(statusResponseSchema.safeParse(view).success).toBe(true);
    expect(statusResponseSchema.safeParse({ ...view, queueDepth: 0 }).success).toBe(false);
  });
});
