import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { checkConfig } from "./check-config.js";
import { parseConfig } from "./parse-config.js";

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: "LLMUX_ERR_CONFIG" });
    return (error as ConfigError).issues;
  }
  throw new Error("expected a ConfigError");
}

const minimal = { models: { qwen: { model_path: "Qwen/Qwen2.5-7B-Instruct", port: 8001 } } };

describe("parseConfig", () => {
  it("applies every default of the original and ours", () => {
    const config = parseConfig(minimal);
    expect(config).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      metrics_port: 9090,
      metrics_host: "0.0.0.0",
      vllm_command: "vllm",
      vllm_logging: false,
      policy: {
        policy_type: "fifo",
        request_timeout_secs: 60,
        drain_before_switch: true,
        sleep_level: 3,
        min_active_secs: 5,
        max_wait_secs: 30,
        drain_timeout_secs: 30,
        sleep_timeout_secs: 120,
        wake_timeout_secs: 300,
        startup_backoff_secs: 10,
        stop_grace_secs: 10,
      },
      gpu: { memory_gib: 80, sleep_reserve_gib: 1 },
      proxy: {
        max_body_bytes: 33554432,
        keepalive_interval_secs: 5,
        headers_timeout_secs: 30,
        idle_timeout_secs: 300,
        api_keys: [],
        admin_keys: [],
        shutdown_grace_secs: 30,
        model_override_header: true,
        log_lines: 1000,
        upstream_keepalive_secs: 4,
        max_buffered_bytes: 536870912,
      },
    });
    expect(config.models.qwen).toEqual({
      model_path: "Qwen/Qwen2.5-7B-Instruct",
      port: 8001,
      aliases: [],
      sleep_level: 3,
      gpu_memory_utilization: 0.9,
      tensor_parallel_size: 1,
      dtype: "auto",
      extra_args: [],
      env: {},
      expected_costs: {},
      gpus: [0],
      placement: "auto",
      startup_timeout_secs: 600,
      max_concurrency: 256,
      decode_tokens_per_sec: 40,
      idle_timeout_secs: 0,
      asleep_timeout_secs: 0,
      preload: false,
      warmup: false,
      pinned: false,
      priority: 0,
      max_drain_secs: null,
    });
    expect(
      parseConfig({ models: { a: { model_path: "x", port: 8001 }, b: { model_path: "y", port: 8002, max_drain_secs: 5 } }, policy: { max_drain_secs: 1 } })
        .models,
    ).toMatchObject({
      a: { max_drain_secs: 1 },
      b: { max_drain_secs: 5 },
    });
  });

  it("max_concurrency defaults to --max-num-seqs in extra_args and may not exceed it", () => {
    const models = (a: Record<string, unknown>) => ({ models: { a: { model_path: "x", port: 8001, ...a } } });
    expect(parseConfig(models({ extra_args: ["--max-num-seqs", "48"] })).models.a?.max_concurrency).toBe(48);
    expect(parseConfig(models({ extra_args: ["--max-num-seqs=32"] })).models.a?.max_concurrency).toBe(32);
    expect(parseConfig(models({ max_concurrency: 8, extra_args: ["--max-num-seqs", "32"] })).models.a?.max_concurrency).toBe(8);
    expect(() => parseConfig(models({ max_concurrency: 64, extra_args: ["--max-num-seqs", "32"] }))).toThrow(
      /models\["a"\]\.max_concurrency: expected at most 32 \(--max-num-seqs in extra_args/,
    );
    expect(() => parseConfig(models({ extra_args: ["--max-num-seqs", "many"] }))).toThrow(
      /models\["a"\]\.extra_args\[1\]: expected a positive integer after --max-num-seqs/,
    );
    expect(() => parseConfig(models({ max_concurrency: 0 }))).toThrow(/models\["a"\]\.max_concurrency/);
  });

  it("lifecycle timeouts default to the policy's; pinned models must fit together", () => {
    const config = parseConfig({
      policy: { idle_timeout_secs: 300, asleep_timeout_secs: 3600 },
      models: { a: { model_path: "x", port: 8001 }, b: { model_path: "y", port: 8002, idle_timeout_secs: 0 } },
    });
    expect(config.models.a).toMatchObject({ idle_timeout_secs: 300, asleep_timeout_secs: 3600 });
    expect(config.models.b).toMatchObject({ idle_timeout_secs: 0, asleep_timeout_secs: 3600 });
    expect(() => parseConfig({ models: { a: { model_path: "x", port: 8001, idle_timeout_secs: 2_147_484 } } })).toThrow(
      /models\["a"\]\.idle_timeout_secs: expected a number <= 2147483.647/,
    );
    const pinned = { model_path: "x", pinned: true, gpu_memory_utilization: 0.5 };
    expect(parseConfig({ models: { a: { ...pinned, port: 8001 }, b: { ...pinned, port: 8002 } } }).models.b?.pinned).toBe(true);
    expect(() => parseConfig({ models: { a: { ...pinned, port: 8001 }, b: { ...pinned, port: 8002, gpu_memory_utilization: 0.6 } } })).toThrow(
      /models\["b"\]\.pinned: expected pinned models that fit together, found a, b needing 110% of GPU 0/,
    );
  });

  it("a model's sleep_level defaults to the policy's; gpus to 0..tp-1", () => {
    const config = parseConfig({
      policy: { sleep_level: 1 },
      models: { a: { model_path: "x", port: 8001, tensor_parallel_size: 2 }, b: { model_path: "y", port: 8002, sleep_level: 2, gpus: [3] } },
    });
    expect(config.models.a).toMatchObject({ sleep_level: 1, gpus: [0, 1] });
    expect(config.models.b).toMatchObject({ sleep_level: 2, gpus: [3] });
  });

  it("expected_costs: a model's fields over the policy's, level by level; unknown keys and bad values refused with their path", () => {
    const config = parseConfig({
      policy: { expected_costs: { cold_start_secs: 240, sleep_secs: { "1": 20, "2": 1 } } },
      models: {
        big: { model_path: "x", expected_costs: { stop_secs: 0, sleep_secs: { "2": 0.5 }, wake_secs: { "2": 30 } } },
        small: { model_path: "y" },
      },
    });
    expect(config.models.big?.expected_costs).toEqual({ cold_start_secs: 240, stop_secs: 0, sleep_secs: { "1": 20, "2": 0.5 }, wake_secs: { "2": 30 } });
    expect(config.models.small?.expected_costs).toEqual({ cold_start_secs: 240, sleep_secs: { "1": 20, "2": 1 } });
    const issues = issuesOf({
      policy: { expected_costs: { wake_secs: { "3": 1 } } },
      models: { a: { model_path: "x", expected_costs: { cold_start_secs: 0, sleep_secs: { "1": -1 }, start_secs: 5 } } },
    });
    expect(issues).toContainEqual({ path: 'policy.expected_costs.wake_secs["3"]', message: 'unknown key; did you mean "1"? (allowed: 1, 2)' });
    expect(issues).toContainEqual({ path: 'models["a"].expected_costs.cold_start_secs', message: "expected a number > 0, found number 0" });
    expect(issues).toContainEqual({ path: 'models["a"].expected_costs.sleep_secs["1"]', message: "expected a number >= 0, found number -1" });
    expect(issues.find((issue) => issue.path === 'models["a"].expected_costs.start_secs')?.message).toMatch(
      /unknown key; did you mean "stop_secs"\? \(allowed: cold_start_secs, stop_secs, sleep_secs, wake_secs\)/,
    );
  });

  it("names the JSON path, what was expected and what was found", () => {
    const issues = issuesOf({ models: { qwen: { model_path: "x", port: "8001" } }, policy: { sleep_level: 4 } });
    expect(issues).toContainEqual({ path: 'models["qwen"].port', message: 'expected number, found the string "8001"' });
    expect(issues.find((i) => i.path === "policy.sleep_level")?.message).toMatch(/expected 1, 2 or 3, found number 4/);
  });

  it("reports a missing required field", () => {
    expect(issuesOf({ models: { a: { port: 8001 } } })).toContainEqual({ path: 'models["a"].model_path', message: "required string, found nothing" });
    expect(issuesOf({})[0]?.path).toBe("models");
  });

  it("rejects unknown keys with a did-you-mean hint", () => {
    const issues = issuesOf({ ...minimal, polcy: {}, models: { qwen: { model_path: "x", port: 8001, gpu_memory_utilisation: 0.5 } } });
    expect(issues.find((i) => i.path === "polcy")?.message).toMatch(/unknown key; did you mean "policy"\?/);
    expect(issues.find((i) => i.path === 'models["qwen"].gpu_memory_utilisation')?.message).toMatch(/did you mean "gpu_memory_utilization"/);
    expect(issuesOf({ ...minimal, zzzzzzzz: 1 })[0]?.message).not.toMatch(/did you mean/);
  });

  it("rejects an empty models map, numbers out of range and bad fractions", () => {
    expect(issuesOf({ models: {} })[0]?.message).toMatch(/at least one model/);
    const issues = issuesOf({ port: 70000, models: { a: { model_path: "x", port: 8001, gpu_memory_utilization: 1.5 } } });
    expect(issues.map((i) => i.path).sort()).toEqual(['models["a"].gpu_memory_utilization', "port"]);
    expect(issues.find((i) => i.path === "port")?.message).toMatch(/expected a number <= 65535, found number 70000/);
  });

  it("accepts port 0 for the proxy (a free port) but not for a model, whose port llmux must know to reach it", () => {
    expect(parseConfig({ ...minimal, port: 0 }).port).toBe(0);
    expect(issuesOf({ models: { a: { model_path: "x", port: 0 } } }).map((i) => i.path)).toEqual(['models["a"].port']);
  });

  it("leaves a model's port absent (a Unix socket), for any number of models", () => {
    const config = parseConfig({ models: { a: { model_path: "x" }, b: { model_path: "y" }, c: { model_path: "z", port: 8001 } } });
    expect(config.models["a"]?.port).toBeUndefined();
    expect(config.models["b"]?.port).toBeUndefined();
    expect(config.models["c"]?.port).toBe(8001);
  });

  it("rejects duplicate ports and ports equal to port or metrics_port", () => {
    const issues = issuesOf({
      port: 3000,
      metrics_port: 9090,
      models: {
        a: { model_path: "x", port: 8001 },
        b: { model_path: "y", port: 8001 },
        c: { model_path: "z", port: 3000 },
        d: { model_path: "w", port: 9090 },
      },
    });
    expect(issues).toEqual([
      { path: 'models["b"].port', message: 'expected a unique port, found 8001, already used by models["a"].port' },
      { path: 'models["c"].port', message: "expected a unique port, found 3000, already used by port" },
      { path: 'models["d"].port', message: "expected a unique port, found 9090, already used by metrics_port" },
    ]);
    // metrics_port 0 disables the listener: a model may then use 9090.
    expect(() => parseConfig({ metrics_port: 0, models: { a: { model_path: "x", port: 9090 } } })).not.toThrow();
  });

  it("rejects extra_args that would override what llmux sets (bind address, port, name, sleep mode)", () => {
    const issues = issuesOf({
      models: {
        a: { model_path: "x", port: 8001, extra_args: ["--max-model-len", "4096", "--host", "0.0.0.0"] },
        b: { model_path: "y", port: 8002, extra_args: ["--port=9000", "--served-model-name", "other"] },
      },
    });
    expect(issues.map((issue) => issue.path)).toEqual(['models["a"].extra_args[2]', 'models["b"].extra_args[0]', 'models["b"].extra_args[1]']);
    expect(issues[0]?.message).toContain("127.0.0.1");
    // Flags that only share a prefix are not reserved.
    expect(() => parseConfig({ models: { a: { model_path: "x", port: 8001, extra_args: ["--hostname-override", "h", "--port-range", "1"] } } })).not.toThrow();
  });

  it("rejects every spelling that disables sleep mode or overrides llmux's flags", () => {
    const spellings = [
      "--no-enable-sleep-mode",
      "--enable-sleep-mode=false",
      "--enable_sleep_mode",
      "--no_enable_sleep_mode",
      "--enable-sleep",
      "--uds=/tmp/x",
      "--served",
      "--host=0.0.0.0",
    ];
    const issues = issuesOf({ models: { a: { model_path: "x", port: 8001, extra_args: spellings } } });
    expect(issues.map((issue) => issue.path)).toEqual(spellings.map((_, index) => `models["a"].extra_args[${index}]`));
    expect(issues[0]?.message).toMatch(/expected no --no-enable-sleep-mode .*frees nothing/);
  });

  it("rejects env entries that override the variables llmux sets", () => {
    const issues = issuesOf({ models: { a: { model_path: "x", port: 8001, env: { VLLM_SERVER_DEV_MODE: "0", CUDA_VISIBLE_DEVICES: "1", HF_HOME: "/h" } } } });
    expect(issues.map((issue) => issue.path)).toEqual(['models["a"].env["VLLM_SERVER_DEV_MODE"]', 'models["a"].env["CUDA_VISIBLE_DEVICES"]']);
  });

  it("rejects durations longer than a timer can wait, in every duration field", () => {
    const tooLong = 3e6;
    const issues = issuesOf({
      policy: {
        request_timeout_secs: tooLong,
        drain_timeout_secs: tooLong,
        sleep_timeout_secs: tooLong,
        wake_timeout_secs: tooLong,
        startup_backoff_secs: tooLong,
      },
      proxy: { keepalive_interval_secs: tooLong, idle_timeout_secs: tooLong, headers_timeout_secs: tooLong, shutdown_grace_secs: tooLong },
      models: { a: { model_path: "x", port: 8001, startup_timeout_secs: tooLong } },
    });
    expect(issues).toHaveLength(10);
    expect(issues.find((issue) => issue.path === "policy.request_timeout_secs")?.message).toMatch(
      /<= 2147483\.647 \(the longest duration a timer can wait, about 24\.8 days\), found number 3000000/,
    );
    expect(() => parseConfig({ ...minimal, policy: { request_timeout_secs: 2_147_483 } })).not.toThrow();
  });

  it("keeps the upstream keep-alive under uvicorn's 5 s", () => {
    expect(parseConfig(minimal).proxy).toMatchObject({ upstream_keepalive_secs: 4, max_buffered_bytes: 536870912 });
    // Derived from the open-files limit by the proxy at start-up.
    expect(parseConfig(minimal).proxy.max_connections).toBeUndefined();
    expect(issuesOf({ ...minimal, proxy: { upstream_keepalive_secs: 5 } })[0]?.path).toBe("proxy.upstream_keepalive_secs");
  });

  it("rejects model names that are special on JavaScript objects (a __proto__ key is not silently dropped)", () => {
    const input = JSON.parse(
      '{"models": {"__proto__": {"model_path": "x", "port": 8001}, "constructor": {"model_path": "y", "port": 8002}, "ok": {"model_path": "z", "port": 8003}}}',
    ) as unknown;
    expect(issuesOf(input).map((issue) => issue.path)).toEqual(['models["__proto__"]', 'models["constructor"]']);
    expect(issuesOf({ models: { prototype: { model_path: "x", port: 8001 } } })[0]?.message).toMatch(/reserved by JavaScript/);
  });

  it("rejects invalid model names", () => {
    const issues = issuesOf({ models: { "-bad": { model_path: "x", port: 8001 }, "a b": { model_path: "y", port: 8002 } } });
    expect(issues.map((i) => i.path)).toEqual(['models["-bad"]', 'models["a b"]']);
    expect(() => parseConfig({ models: { "Qwen/Qwen2.5-7B:instruct_v1.0": { model_path: "x", port: 8001 } } })).not.toThrow();
    expect(issuesOf({ models: { ["a".repeat(129)]: { model_path: "x", port: 8001 } } })).toHaveLength(1);
  });

  it("accepts aliases and refuses invalid, reserved or duplicate ones with their JSON path", () => {
    const ok = parseConfig({ models: { qwen: { model_path: "x", port: 8001, aliases: ["gpt-4o-mini", "qwen2.5:7b"] } } });
    expect(ok.models.qwen?.aliases).toEqual(["gpt-4o-mini", "qwen2.5:7b"]);
    const issues = issuesOf({
      models: {
        a: { model_path: "x", port: 8001, aliases: ["__proto__", "b", "shared", "a b"] },
        b: { model_path: "y", port: 8002, aliases: ["shared", "a"] },
      },
    });
    expect(issues).toEqual([
      { path: 'models["a"].aliases[0]', message: expect.stringContaining('found "__proto__"') },
      { path: 'models["a"].aliases[1]', message: expect.stringContaining('already used by models["b"]') },
      { path: 'models["a"].aliases[3]', message: expect.stringContaining('found "a b"') },
      { path: 'models["b"].aliases[0]', message: expect.stringContaining('already used by models["a"].aliases[2]') },
      { path: 'models["b"].aliases[1]', message: expect.stringContaining('already used by models["a"]') },
    ]);
    expect(issuesOf({ models: { a: { model_path: "x", port: 8001, aliases: ["same", "same"] } } })).toHaveLength(1);
  });

  it("bounds proxy.log_lines", () => {
    expect(issuesOf({ ...minimal, proxy: { log_lines: 100001 } })[0]?.path).toBe("proxy.log_lines");
    expect(parseConfig({ ...minimal, proxy: { log_lines: 0, model_override_header: false } }).proxy).toMatchObject({
      log_lines: 0,
      model_override_header: false,
    });
  });

  it("rejects a gpus list that does not match tensor_parallel_size", () => {
    expect(issuesOf({ models: { a: { model_path: "x", port: 8001, tensor_parallel_size: 2, gpus: [0] } } })[0]).toMatchObject({
      path: 'models["a"].gpus',
    });
  });

  it("lists every problem in the error message", () => {
    expect(() => parseConfig({ models: { a: { model_path: "x", port: 8001 }, b: { model_path: "y", port: 8001 } } })).toThrow(
      /Invalid llmux config:\n {2}models\["b"\]\.port: expected a unique port/,
    );
  });
});

describe("checkConfig", () => {
  it("has nothing to say about the usual one-awake setup", () => {
    expect(
      checkConfig(parseConfig({ policy: { sleep_level: 1 }, models: { a: { model_path: "x", port: 8001 }, b: { model_path: "y", port: 8002 } } })),
    ).toEqual([]);
  });

  it("warns when sleepers' reserves leave too little room for a model's start-up", () => {
    const config = parseConfig({
      policy: { sleep_level: 1 },
      gpu: { memory_gib: 24, sleep_reserve_gib: 1.5 },
      models: { a: { model_path: "x", port: 8001, gpu_memory_utilization: 0.95 }, b: { model_path: "y", port: 8002 } },
    });
    const warnings = checkConfig(config);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/models\["a"\] needs 95% of GPU 0/);
  });

  it("ignores sleepers at level 3 (they hold nothing)", () => {
    const config = parseConfig({
      gpu: { memory_gib: 24, sleep_reserve_gib: 1.5 },
      models: { a: { model_path: "x", port: 8001, gpu_memory_utilization: 0.95 }, b: { model_path: "y", port: 8002 } },
    });
    expect(checkConfig(config)).toEqual([]);
  });
});
