import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { listenerOwnership } from "../src/listener-owner.js";
import { isLlmuxError } from "@llmux/types";
import { groupAlive } from "../src/process-group.js";
import { cleanupAfterEach, onCleanup, simServer } from "./helpers.js";

cleanupAfterEach();

describe("VllmServer only calls its own engine ready", () => {
  it("refuses a /health 200 from another process that listens on the engine's port", async () => {
    // The engine loads for a while and binds only then; meanwhile someone else takes the port and answers /health.
    const server = await simServer({ sim: { VLLM_SIM_STARTUP_MS: "3000" } });
    const port = Number(server.options.port);
    const foreign = createServer((_req, res) => res.end("ok"));
    onCleanup(() => new Promise((resolve) => foreign.close(() => resolve())));
    server.once("spawn", () => foreign.listen(port, "127.0.0.1"));
    const error = await server.start().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isLlmuxError(error, "LLMUX_ERR_FOREIGN_LISTENER")).toBe(true);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    // The engine it started is stopped, and the foreign server was never sent anything but /health.
    expect(groupAlive(server.pid ?? -1)).toBe(false);
    expect(server.state).not.toBe("running");
  });

  it("sees its own engine as the only listener once ready", async () => {
    const server = await simServer();
    await server.start();
    expect(listenerOwnership(server.pid ?? -1, Number(server.options.port))).toBe("own");
    expect(listenerOwnership(process.pid, Number(server.options.port))).toBe("foreign");
  });
});
