import type { LlmuxConfig, ModelConfig } from "./config/types.js";
import type { MuxState } from "./mux-state.js";
import { policyFor } from "./policies/index.js";
import { Slot } from "./slot.js";

/** What a reload changed, model by model, and what it could not change. */
export interface ReconfigureReport {
  added: string[];
  /** Drain (their queued requests are served first), then stop and disappear. */
  removed: string[];
  /** Keep serving as they are; restart with the new settings at their next switch (at once when stopped or asleep). */
  changed: string[];
  unchanged: string[];
  /** JSON paths of settings that only a restart applies; their old values stay in force. */
  restart_required: string[];
}

/**
 * Settings bound when llmux starts (sockets, buffers sized once). A reload
 * keeps their running values and reports them instead of ignoring them.
 */
const RESTART_ONLY = [
  ["port"],
  ["host"],
  ["metrics_port"],
  ["metrics_host"],
  ["metrics_path"],
  ["metrics_on_proxy_port"],
  ["proxy", "headers_timeout_secs"],
  ["proxy", "idle_timeout_secs"],
  ["proxy", "log_lines"],
  ["proxy", "upstream_keepalive_secs"],
  ["proxy", "max_buffered_bytes"],
  ["proxy", "max_connections"],
] as const;

/**
 * `preload` only matters at start-up (and `--preload` sets it), and
 * `expected_costs` only guides the plan (a reload applies it at once), so
 * neither makes a model "changed".
 */
function sameModel(a: ModelConfig, b: ModelConfig): boolean {
  // An auto-placed model's `gpus` is llmux's last choice, not a setting.
  const auto = a.placement === "auto" && b.placement === "auto";
  const comparable = ({ expected_costs: _, ...model }: ModelConfig) => ({ ...model, preload: false, gpus: auto ? [] : model.gpus });
  return JSON.stringify(comparable(a)) === JSON.stringify(comparable(b));
}

function read(config: LlmuxConfig, path: readonly string[]): unknown {
  let value: unknown = config;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

/** `next` with the restart-only settings put back to the running values, and the paths that differed. */
export function keepRestartOnly(current: LlmuxConfig, next: LlmuxConfig): { config: LlmuxConfig; restartRequired: string[] } {
  const config: LlmuxConfig = { ...next, proxy: { ...next.proxy } };
  const restartRequired: string[] = [];
  for (const path of RESTART_ONLY) {
    if (JSON.stringify(read(current, path)) === JSON.stringify(read(next, path))) continue;
    restartRequired.push(path.join("."));
    const [first, second] = path;
    if (second === undefined) (config as unknown as Record<string, unknown>)[first] = read(current, path);
    else (config.proxy as unknown as Record<string, unknown>)[second] = read(current, path);
  }
  return { config, restartRequired };
}

/**
 * Apply a new, validated config to a running multiplexer without touching
 * what did not change: awake models stay awake, added models become
 * available, removed ones stop admitting new requests, serve what they had
 * queued and then stop; a changed model keeps its running settings until it is
 * stopped (its next eviction is a stop, and an asleep one is stopped at once).
 */
export function reconfigure(mux: MuxState, nextConfig: LlmuxConfig): ReconfigureReport {
  const { config, restartRequired } = keepRestartOnly(mux.config, nextConfig);
  const report: ReconfigureReport = { added: [], removed: [], changed: [], unchanged: [], restart_required: restartRequired };
  const now = mux.clock.now();
  for (const [name, model] of Object.entries(config.models)) {
    const slot = mux.slots.get(name);
    if (!slot) {
      mux.slots.set(name, new Slot(name, model, now));
      report.added.push(name);
      continue;
    }
    slot.applyExpectedCosts(model.expected_costs);
    const wasRemoving = slot.removing;
    slot.removing = false;
    const target = slot.pendingConfig ?? slot.config;
    if (sameModel(target, model)) {
      // Re-added while still draining counts as added: it had vanished from the config.
      (wasRemoving ? report.added : report.unchanged).push(name);
      continue;
    }
    slot.pendingConfig = sameModel(slot.config, model) ? null : model;
    report.changed.push(name);
  }
  for (const [name, slot] of mux.slots) {
    if (Object.hasOwn(config.models, name) || slot.removing) continue;
    slot.removing = true;
    slot.pendingConfig = null;
    report.removed.push(name);
  }
  const policyChanged = config.policy.policy_type !== mux.config.policy.policy_type;
  mux.config = config;
  if (policyChanged && !mux.customPolicy) mux.policy = policyFor(config.policy.policy_type);
  mux.emit({ type: "reconfigured", at: now, ...report });
  mux.schedule();
  return report;
}

/**
 * Called on every scheduling pass: applies pending model settings to stopped
 * models, stops asleep models whose settings changed, and retires removed
 * models once nothing is queued or running on them. Returns the slots to stop.
 */
export function sweepReconfigured(mux: MuxState): Slot[] {
  const toStop: Slot[] = [];
  for (const slot of [...mux.slots.values()]) {
    if (slot.busy) continue;
    if (slot.removing) {
      if (slot.waiters.length > 0 || slot.leases.size > 0) continue;
      if (slot.state === "stopped") {
        mux.slots.delete(slot.name);
        mux.emit({ type: "removed", model: slot.name, at: mux.clock.now() });
      } else if (slot.state === "awake" || slot.state === "asleep") toStop.push(slot);
      continue;
    }
    if (slot.pendingConfig === null) continue;
    if (slot.state === "stopped") {
      slot.applyConfig(slot.pendingConfig);
      slot.pendingConfig = null;
    } else if (slot.state === "asleep") toStop.push(slot);
  }
  return toStop;
}

/** The level an eviction uses: a model with pending settings is stopped so that its next start uses them. */
export function evictionLevel(slot: Slot, stop: boolean): 1 | 2 | 3 {
  return stop || slot.pendingConfig !== null || slot.removing ? 3 : slot.config.sleep_level;
}
