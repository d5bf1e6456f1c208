import { describe, expect, it } from "vitest";
import { parseUpstreamArgs } from "./upstream-args.js";

describe("parseUpstreamArgs", () => {
  it("reads a vllm serve command line as llmux builds it", () => {
    const args = parseUpstreamArgs([
      "serve",
      "org/model",
      "--host",
      "127.0.0.1",
      "--port",
      "9123",
      "--enable-sleep-mode",
      "--served-model-name",
      "small",
      "--gpu-memory-utilization",
      "0.9",
      "--dtype=auto",
    ]);
    expect(args).toEqual({ modelPath: "org/model", servedName: "small", host: "127.0.0.1", port: 9123 });
  });

  it("accepts --flag=value and defaults the served name to the model path", () => {
    expect(parseUpstreamArgs(["serve", "m", "--port=7000"])).toEqual({
      modelPath: "m",
      servedName: "m",
      host: "127.0.0.1",
      port: 7000,
    });
  });
});
