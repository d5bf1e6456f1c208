import { describe, expect, it } from "vitest";
import { parseConfig } from "./config/parse-config.js";
import { choosePlacement, gpuCount } from "./placement.js";
import type { PolicyModelView, PolicyView } from "./policy.js";
import { policyModel, policyView } from "../test/policy-views.js";

const config = parseConfig({ models: { a: { model_path: "x", port: 8001 } } });

const model = policyModel;

function view(models: PolicyModelView[], locked: number[] = []): PolicyView {
  return policyView(0, models, config.policy, locked);
}

const awake = { state: "awake" as const, awakeSince: 0 };

describe("choosePlacement", () => {
  it("prefers the GPUs that need no eviction, then the least used", () => {
    const target = model("t", { queue: [0] });
    // GPU 0 full, GPU 1 holds a sleeper's reserve, GPU 2 empty.
    const models = [model("a", { ...awake, gpus: [0] }), model("b", { state: "asleep", asleepLevel: 1, gpus: [1] }), target];
    expect(choosePlacement(view(models), target, 3, 1)).toEqual([2]);
    // Without GPU 2, the sleeper's GPU still needs no eviction.
    expect(choosePlacement(view(models), target, 2, 1)).toEqual([1]);
  });

  it("takes the fewest evictions for a tensor-parallel model, and skips pinned and locked GPUs", () => {
    const target = model("t", { queue: [0], gpus: [0, 1] });
    const models = [
      model("a", { ...awake, gpus: [0], pinned: true }),
      model("b", { ...awake, gpus: [1] }),
      model("c", { ...awake, gpus: [2] }),
      model("d", { ...awake, gpus: [3] }),
      target,
    ];
    // GPU 0 is pinned: any pair with it cannot be freed; {1,2} is the first pair of two evictions.
    expect(choosePlacement(view(models), target, 4, 2)).toEqual([1, 2]);
    // GPU 1 is in a switch: the next pair that can be freed now.
    expect(choosePlacement(view(models, [1]), target, 4, 2)).toEqual([2, 3]);
  });
});

describe("gpuCount", () => {
  it("is gpu.count, else enough for the fixed indices and tensor-parallel sizes", () => {
    expect(gpuCount(parseConfig({ gpu: { count: 8 }, models: { a: { model_path: "x", port: 8001 } } }))).toBe(8);
    expect(
      gpuCount(parseConfig({ models: { a: { model_path: "x", port: 8001, gpus: [3] }, b: { model_path: "y", port: 8002, tensor_parallel_size: 2 } } })),
    ).toBe(4);
    expect(gpuCount(config)).toBe(1);
  });

  it("is checked against tensor_parallel_size and fixed indices at load time, with the JSON path", () => {
    const issues = (input: unknown) => {
      try {
        parseConfig(input);
        return [];
      } catch (error) {
        return (error as { issues: Array<{ path: string }> }).issues.map((issue) => issue.path);
      }
    };
    expect(issues({ gpu: { count: 2 }, models: { a: { model_path: "x", port: 8001, tensor_parallel_size: 4 } } })).toEqual([
      'models["a"].tensor_parallel_size',
    ]);
    expect(issues({ gpu: { count: 2 }, models: { a: { model_path: "x", port: 8001, gpus: [2] } } })).toEqual(['models["a"].gpus']);
  });
});
