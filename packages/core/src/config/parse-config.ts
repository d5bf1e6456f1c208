import type { z } from "zod";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { closest, describeValue, formatPath, valueAt } from "./format-path.js";
import { reservedEnv, reservedFlag, RESERVED_MODEL_NAMES } from "./reserved-args.js";
import { KNOWN_KEYS, MAX_TIMER_SECS, MODEL_NAME_PATTERN, configSchema } from "./schema.js";
import type { ExpectedCostsConfig, LlmuxConfig, ModelConfig } from "./types.js";
import { maxNumSeqs } from "./max-num-seqs.js";
import { DEFAULT_MAX_CONCURRENCY } from "../admission.js";

/**
 * Validate a config object (parsed JSON), apply every default and return it.
 * Throws `ConfigError` listing every problem with its JSON path.
 */
export function parseConfig(input: unknown): LlmuxConfig {
  const reservedNames = reservedModelNames(input);
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError([...reservedNames, ...result.error.issues.flatMap((issue) => describeIssue(issue, input))], { cause: result.error });
  }
  if (reservedNames.length > 0) throw new ConfigError(reservedNames);
  const raw = result.data;
  const models: Record<string, ModelConfig> = {};
  const limitIssues: ConfigIssue[] = [];
  for (const [name, model] of Object.entries(raw.models)) {
    const gpus = model.gpus ?? Array.from({ length: model.tensor_parallel_size }, (_, index) => index);
    const max_concurrency = admissionLimit(name, model.max_concurrency, model.extra_args, limitIssues);
    models[name] = {
      ...model,
      sleep_level: model.sleep_level ?? raw.policy.sleep_level,
      gpus,
      placement: model.gpus === undefined ? "auto" : "fixed",
      max_concurrency,
      idle_timeout_secs: model.idle_timeout_secs ?? raw.policy.idle_timeout_secs,
      asleep_timeout_secs: model.asleep_timeout_secs ?? raw.policy.asleep_timeout_secs,
      max_drain_secs: model.max_drain_secs ?? raw.policy.max_drain_secs ?? null,
      expected_costs: overlayExpectedCosts(raw.policy.expected_costs, model.expected_costs),
    };
  }
  const config: LlmuxConfig = {
    port: raw.port,
    host: raw.host,
    metrics_port: raw.metrics_port,
    metrics_host: raw.metrics_host,
    metrics_path: raw.metrics_path,
    metrics_on_proxy_port: raw.metrics_on_proxy_port,
    vllm_command: raw.vllm_command,
    vllm_logging: raw.vllm_logging,
    models,
    policy: raw.policy,
    gpu: raw.gpu,
    proxy: raw.proxy,
  };
  const issues = [...limitIssues, ...crossCheck(config)];
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

/** `over`'s fields replace `base`'s, each sleep and wake level on its own. */
function overlayExpectedCosts(base: ExpectedCostsConfig | undefined, over: ExpectedCostsConfig | undefined): ExpectedCostsConfig {
  const merged: ExpectedCostsConfig = { ...base, ...over };
  if (base?.sleep_secs !== undefined || over?.sleep_secs !== undefined) merged.sleep_secs = { ...base?.sleep_secs, ...over?.sleep_secs };
  if (base?.wake_secs !== undefined || over?.wake_secs !== undefined) merged.wake_secs = { ...base?.wake_secs, ...over?.wake_secs };
  return merged;
}

/**
 * The admission limit: `max_concurrency`, else vLLM's `--max-num-seqs`, else
 * the default. A limit above `--max-num-seqs` would queue inside vLLM, where
 * llmux cannot plan a drain: refused.
 */
function admissionLimit(name: string, explicit: number | undefined, extraArgs: readonly string[], issues: ConfigIssue[]): number {
  const seqs = maxNumSeqs(extraArgs);
  let fromArgs: number | undefined;
  if (seqs !== undefined) {
    fromArgs = Number(seqs.value);
    if (seqs.value === undefined || !/^[1-9][0-9]*$/.test(seqs.value)) {
      issues.push({
        path: formatPath(["models", name, "extra_args", seqs.index]),
        message: `expected a positive integer after --max-num-seqs, found ${describeValue(seqs.value)}`,
      });
      fromArgs = undefined;
    }
  }
  if (explicit !== undefined && fromArgs !== undefined && explicit > fromArgs) {
    issues.push({
      path: formatPath(["models", name, "max_concurrency"]),
      message: `expected at most ${fromArgs} (--max-num-seqs in extra_args: more would wait inside vLLM, where llmux cannot plan a drain), found ${explicit}`,
    });
  }
  return explicit ?? fromArgs ?? DEFAULT_MAX_CONCURRENCY;
}

/**
 * `__proto__` and friends, checked on the raw input: once parsed into an
 * object a `__proto__` key is gone (it sets the prototype instead).
 */
function reservedModelNames(input: unknown): ConfigIssue[] {
  const models = (input as { models?: unknown } | null)?.models;
  if (models === null || typeof models !== "object") return [];
  return Object.keys(models)
    .filter((name) => RESERVED_MODEL_NAMES.includes(name))
    .map((name) => ({
      path: formatPath(["models", name]),
      message: `expected a model name other than ${RESERVED_MODEL_NAMES.join(", ")} (reserved by JavaScript), found ${JSON.stringify(name)}`,
    }));
}

function crossCheck(config: LlmuxConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const portOwners = new Map<number, string>([[config.port, "port"]]);
  const nameOwners = new Map<string, string>(Object.keys(config.models).map((name) => [name, formatPath(["models", name])]));
  if (config.metrics_port !== 0) {
    if (config.metrics_port === config.port) {
      issues.push({ path: "metrics_port", message: `expected a port different from port, found ${config.metrics_port} for both` });
    }
    portOwners.set(config.metrics_port, "metrics_port");
  }
  if (config.metrics_on_proxy_port && isProxyRoute(config.metrics_path)) {
    issues.push({
      path: "metrics_path",
      message: `expected a path the proxy does not already serve (metrics_on_proxy_port is true), found ${JSON.stringify(config.metrics_path)}`,
    });
  }
  for (const [name, model] of Object.entries(config.models)) {
    if (!MODEL_NAME_PATTERN.test(name)) {
      issues.push({
        path: formatPath(["models", name]),
        message: `expected a model name of ${NAME_RULE}, found ${JSON.stringify(name)}`,
      });
    }
    issues.push(...aliasIssues(name, model.aliases, nameOwners));
    const owner = model.port === undefined ? undefined : portOwners.get(model.port);
    if (owner !== undefined) {
      issues.push({ path: formatPath(["models", name, "port"]), message: `expected a unique port, found ${model.port}, already used by ${owner}` });
    } else if (model.port !== undefined) portOwners.set(model.port, formatPath(["models", name, "port"]));
    if (model.gpus.length !== model.tensor_parallel_size) {
      issues.push({
        path: formatPath(["models", name, "gpus"]),
        message: `expected ${model.tensor_parallel_size} GPU indices (tensor_parallel_size), found ${model.gpus.length}`,
      });
    }
    const count = config.gpu.count;
    if (count !== undefined && model.tensor_parallel_size > count) {
      issues.push({
        path: formatPath(["models", name, "tensor_parallel_size"]),
        message: `expected at most gpu.count (${count}) GPUs, found ${model.tensor_parallel_size}`,
      });
    } else if (count !== undefined && model.placement === "fixed" && model.gpus.some((gpu) => gpu >= count)) {
      issues.push({
        path: formatPath(["models", name, "gpus"]),
        message: `expected GPU indices below gpu.count (${count}), found ${JSON.stringify(model.gpus)}`,
      });
    }
    if (new Set(model.gpus).size !== model.gpus.length) {
      issues.push({ path: formatPath(["models", name, "gpus"]), message: `expected distinct GPU indices, found ${JSON.stringify(model.gpus)}` });
    }
    model.extra_args.forEach((arg, index) => {
      const reserved = reservedFlag(arg);
      if (reserved === undefined) return;
      issues.push({
        path: formatPath(["models", name, "extra_args", index]),
        message: `expected no ${reserved.flag} (llmux sets it: ${reserved.why}), found ${JSON.stringify(arg)}`,
      });
    });
    for (const key of Object.keys(model.env)) {
      const why = reservedEnv(key);
      if (why !== undefined) issues.push({ path: formatPath(["models", name, "env", key]), message: `expected no ${key} (${why})` });
    }
  }
  issues.push(...pinnedFitIssues(config));
  return issues;
}

/** Pinned models are never evicted, so they must all fit on their GPUs together, beside the reserves nothing else needs. */
function pinnedFitIssues(config: LlmuxConfig): ConfigIssue[] {
  const used = new Map<number, string[]>();
  const share = new Map<number, number>();
  for (const [name, model] of Object.entries(config.models)) {
    if (!model.pinned) continue;
    for (const gpu of model.gpus) {
      share.set(gpu, (share.get(gpu) ?? 0) + model.gpu_memory_utilization);
      used.set(gpu, [...(used.get(gpu) ?? []), name]);
    }
  }
  const issues: ConfigIssue[] = [];
  for (const [gpu, total] of share) {
    if (total <= 1 + 1e-9) continue;
    const names = used.get(gpu) ?? [];
    issues.push({
      path: formatPath(["models", names.at(-1) ?? "", "pinned"]),
      message: `expected pinned models that fit together, found ${names.join(", ")} needing ${(total * 100).toFixed(0)}% of GPU ${gpu}`,
    });
  }
  return issues;
}

const NAME_RULE = "letters, digits and ._:/- starting with a letter or digit (at most 128 characters)";

/** An alias must be a valid name (so `__proto__` and friends are refused) that no model or other alias uses. */
function aliasIssues(name: string, aliases: readonly string[], owners: Map<string, string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  aliases.forEach((alias, index) => {
    const path = formatPath(["models", name, "aliases", index]);
    if (!MODEL_NAME_PATTERN.test(alias) || RESERVED_MODEL_NAMES.includes(alias)) {
      issues.push({ path, message: `expected an alias of ${NAME_RULE}, other than ${RESERVED_MODEL_NAMES.join(", ")}, found ${JSON.stringify(alias)}` });
      return;
    }
    const owner = owners.get(alias);
    if (owner !== undefined)
      issues.push({ path, message: `expected a name no other model or alias uses, found ${JSON.stringify(alias)}, already used by ${owner}` });
    else owners.set(alias, path);
  });
  return issues;
}

/**
 * Paths the proxy answers on `port` itself: its local routes, its admin
 * prefix, and the inference paths it forwards (the proxy's route table is the
 * source; a proxy test checks that every one of them is refused here).
 */
const PROXY_PATHS = ["/health", "/models", "/llmux", "/tokenize", "/detokenize", "/pooling", "/classify", "/score", "/rerank"];
const PROXY_PREFIXES = ["/v1/", "/v2/", "/llmux/"];

function isProxyRoute(path: string): boolean {
  return PROXY_PATHS.includes(path) || PROXY_PREFIXES.some((prefix) => path.startsWith(prefix));
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): ConfigIssue[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== "symbol");
  const found = valueAt(input, path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const hint = closest(key, knownKeysAt(path));
        return {
          path: formatPath([...path, key]),
          message: `unknown key${hint ? `; did you mean "${hint}"?` : ""} (allowed: ${knownKeysAt(path)
            .filter((k) => k !== "$schema")
            .join(", ")})`,
        };
      });
    case "invalid_type":
      return [
        {
          path: formatPath(path),
          message: found === undefined ? `required ${issue.expected}, found nothing` : `expected ${issue.expected}, found ${describeValue(found)}`,
        },
      ];
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
      const what =
        issue.origin === "array" || issue.origin === "string"
          ? `length ${bound} ${String(issue.code === "too_small" ? issue.minimum : issue.maximum)}`
          : `a number ${bound} ${String(issue.code === "too_small" ? issue.minimum : issue.maximum)}`;
      const why = issue.code === "too_big" && issue.maximum === MAX_TIMER_SECS ? " (the longest duration a timer can wait, about 24.8 days)" : "";
      return [{ path: formatPath(path), message: `expected ${what}${why}, found ${describeValue(found)}` }];
    }
    case "invalid_value":
      return [{ path: formatPath(path), message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, found ${describeValue(found)}` }];
    case "invalid_union":
      return [{ path: formatPath(path), message: `expected 1, 2 or 3, found ${describeValue(found)}` }];
    default:
      return [{ path: formatPath(path), message: `${issue.message}${found === undefined ? "" : `, found ${describeValue(found)}`}` }];
  }
}

function knownKeysAt(path: readonly (string | number)[]): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS.root;
  const costsAt = path[0] === "models" ? 2 : path[0] === "policy" ? 1 : -1;
  if (costsAt > 0 && path[costsAt] === "expected_costs") {
    if (path.length === costsAt + 1) return KNOWN_KEYS.expectedCosts;
    if (path.length === costsAt + 2 && (path[costsAt + 1] === "sleep_secs" || path[costsAt + 1] === "wake_secs")) return KNOWN_KEYS.level;
  }
  if (path[0] === "models" && path.length === 2) return KNOWN_KEYS.model;
  if (path.length === 1 && (path[0] === "policy" || path[0] === "gpu" || path[0] === "proxy")) return KNOWN_KEYS[path[0]];
  return [];
}
