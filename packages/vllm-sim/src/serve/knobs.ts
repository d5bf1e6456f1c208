import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimConfigError } from "../errors.js";

/** Every simulator knob, resolved. Times in milliseconds, memory in MiB. */
export interface SimKnobs {
  profile: "fast" | "realistic";
  startupMs: number;
  sleep1Ms: number;
  sleep2Ms: number;
  wake1Ms: number;
  wake2Ms: number;
  reloadMs: number;
  ttftMs: number;
  /** 0 = as fast as possible. */
  tokensPerSec: number;
  /** Undefined: 15000 MiB, capped at half the fraction so small fractions still start. */
  weightsMib: number | undefined;
  contextMib: number;
  version: string;
  brokenSleep: boolean;
  control: boolean;
  failStartup: string | undefined;
  ignoreSigterm: boolean;
  eventLog: string | undefined;
  stateDir: string;
  gpuCount: number;
  gpuTotalMib: number;
  gpuName: string;
  /** Idle time after which a kept-alive connection is closed (uvicorn: 5 s). */
  keepAliveMs: number;
  /** Delay between a client going away and its request leaving the engine (vLLM notices at its next step). */
  abortNoticeMs: number;
}

type TimingKey = "startupMs" | "sleep1Ms" | "sleep2Ms" | "wake1Ms" | "wake2Ms" | "reloadMs" | "ttftMs" | "tokensPerSec";

/** Fast defaults keep tests quick; `realistic` follows the orders of magnitude of vLLM v0.13 reports. */
export const profiles: Record<SimKnobs["profile"], Record<TimingKey, number>> = {
  fast: { startupMs: 150, sleep1Ms: 30, sleep2Ms: 20, wake1Ms: 20, wake2Ms: 20, reloadMs: 30, ttftMs: 5, tokensPerSec: 0 },
  realistic: {
    startupMs: 60_000,
    sleep1Ms: 10_000,
    sleep2Ms: 300,
    wake1Ms: 800,
    wake2Ms: 500,
    reloadMs: 3_000,
    ttftMs: 50,
    tokensPerSec: 60,
  },
};

/** knob name (as in `--sim-<name>` and `VLLM_SIM_<NAME>`) → field and kind. */
const knobTable: Record<string, { key: keyof SimKnobs; kind: "number" | "bool" | "string" }> = {
  "startup-ms": { key: "startupMs", kind: "number" },
  "sleep1-ms": { key: "sleep1Ms", kind: "number" },
  "sleep2-ms": { key: "sleep2Ms", kind: "number" },
  "wake1-ms": { key: "wake1Ms", kind: "number" },
  "wake2-ms": { key: "wake2Ms", kind: "number" },
  "reload-ms": { key: "reloadMs", kind: "number" },
  "ttft-ms": { key: "ttftMs", kind: "number" },
  "tokens-per-sec": { key: "tokensPerSec", kind: "number" },
  "weights-mib": { key: "weightsMib", kind: "number" },
  "context-mib": { key: "contextMib", kind: "number" },
  version: { key: "version", kind: "string" },
  "broken-sleep": { key: "brokenSleep", kind: "bool" },
  control: { key: "control", kind: "bool" },
  "fail-startup": { key: "failStartup", kind: "string" },
  "ignore-sigterm": { key: "ignoreSigterm", kind: "bool" },
  "event-log": { key: "eventLog", kind: "string" },
  "state-dir": { key: "stateDir", kind: "string" },
  "gpu-count": { key: "gpuCount", kind: "number" },
  "gpu-total-mib": { key: "gpuTotalMib", kind: "number" },
  "gpu-name": { key: "gpuName", kind: "string" },
  profile: { key: "profile", kind: "string" },
  "keepalive-ms": { key: "keepAliveMs", kind: "number" },
  "abort-notice-ms": { key: "abortNoticeMs", kind: "number" },
};

export const knobNames: readonly string[] = Object.keys(knobTable);

/** `startup-ms` → `VLLM_SIM_STARTUP_MS`. */
export function knobEnvName(name: string): string {
  return `VLLM_SIM_${name.toUpperCase().replaceAll("-", "_")}`;
}

export function defaultStateDir(): string {
  return join(tmpdir(), "vllm-sim-gpus");
}

/**
 * Resolve the knobs: a `--sim-<knob>` flag wins over `VLLM_SIM_<KNOB>`, which
 * wins over the profile's default. Unknown `--sim-*` flags are an error, so a
 * typo in a test does not silently run with defaults.
 */
export function resolveKnobs(flags: Record<string, string>, env: NodeJS.ProcessEnv): SimKnobs {
  for (const name of Object.keys(flags)) {
    if (!(name in knobTable)) throw new SimConfigError(`unknown simulator flag --sim-${name}; known: ${knobNames.join(", ")}`);
  }
  const raw = (name: string): string | undefined => flags[name] ?? env[knobEnvName(name)];
  const profileName = raw("profile") ?? "fast";
  if (profileName !== "fast" && profileName !== "realistic") {
    throw new SimConfigError(`--sim-profile must be "fast" or "realistic", got ${JSON.stringify(profileName)}`);
  }
  const knobs: SimKnobs = {
    profile: profileName,
    ...profiles[profileName],
    weightsMib: undefined,
    contextMib: 1_000,
    version: "0.13.0",
    brokenSleep: false,
    control: false,
    failStartup: undefined,
    ignoreSigterm: false,
    eventLog: undefined,
    stateDir: defaultStateDir(),
    gpuCount: 1,
    gpuTotalMib: 81_559,
    gpuName: "NVIDIA H100 80GB HBM3",
    keepAliveMs: 5_000,
    abortNoticeMs: 0,
  };
  const target = knobs as unknown as Record<string, unknown>;
  for (const [name, { key, kind }] of Object.entries(knobTable)) {
    if (name === "profile") continue;
    const value = raw(name);
    if (value === undefined) continue;
    target[key] = parseKnob(name, kind, value);
  }
  if (!Number.isInteger(knobs.gpuCount) || knobs.gpuCount < 1) throw new SimConfigError("gpu-count must be an integer >= 1");
  if (knobs.gpuTotalMib <= 0) throw new SimConfigError("gpu-total-mib must be > 0");
  return knobs;
}

function parseKnob(name: string, kind: "number" | "bool" | "string", value: string): unknown {
  if (kind === "string") return value;
  if (kind === "bool") {
    if (value === "1" || value === "true") return true;
    if (value === "0" || value === "false" || value === "") return false;
    throw new SimConfigError(`${name} must be 1 or 0, got ${JSON.stringify(value)}`);
  }
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < 0) {
    throw new SimConfigError(`${name} must be a non-negative number, got ${JSON.stringify(value)}`);
  }
  return number;
}
