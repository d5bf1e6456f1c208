import { describe, expect, it } from "vitest";
import { postJson, rawRequest } from "./helpers/http.js";
import { useSimStack } from "./helpers/sim-stack.js";
import { parseStatus } from "./status-schema.js";

describe("the planner's priors in /llmux/status (vllm-sim)", () => {
  const startStack = useSimStack();

  it("shows each model's priors beside its measured costs: expected_costs over the policy's, else built-in; kept once measured", async () => {
    const current = await startStack(["alpha", "beta"], {
      policy: { expected_costs: { wake_secs: { "1": 0.5 } } },
      models: { alpha: { expected_costs: { cold_start_secs: 240, sleep_secs: { "1": 4 } } } },
    });
    const read = async () => parseStatus(JSON.parse((await rawRequest(current.url, { path: "/llmux/status" })).body));
    const costsOf = (status: Awaited<ReturnType<typeof read>>, name: string) => status.models.find((model) => model.name === name)?.costs;

    const before = await read();
    expect(costsOf(before, "alpha")).toEqual({
      sleep_ms: { "1": null, "2": null },
      wake_ms: { "1": null, "2": null },
      cold_start_ms: null,
      stop_ms: null,
      samples: 0,
      priors: { sleep_ms: { "1": 4_000, "2": 500 }, wake_ms: { "1": 500, "2": 5_000 }, cold_start_ms: 240_000, stop_ms: 2_000 },
    });
    expect(costsOf(before, "beta")?.priors).toEqual({
      sleep_ms: { "1": 10_000, "2": 500 },
      wake_ms: { "1": 500, "2": 5_000 },
      cold_start_ms: 60_000,
      stop_ms: 2_000,
    });

    expect((await postJson(current.url, "/v1/completions", { model: "alpha", prompt: "hi", max_tokens: 2 })).status).toBe(200);
    const after = costsOf(await read(), "alpha");
    // The simulator starts in well under the 240 s assumed: the measurement is shown beside the prior it replaces.
    expect(after?.cold_start_ms).toBeGreaterThan(0);
    expect(after?.cold_start_ms).toBeLessThan(240_000);
    expect(after?.priors.cold_start_ms).toBe(240_000);
  });
});
