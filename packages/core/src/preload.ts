import { messageOf } from "./errors.js";
import type { MuxState } from "./mux-state.js";

export type PreloadModelState = "pending" | "loading" | "loaded" | "failed";

/** Progress of `preload()`, shown in the snapshot (snake_case: it is on the wire as is). */
export interface PreloadProgress {
  state: "idle" | "running" | "done";
  total: number;
  done: number;
  models: { name: string; state: PreloadModelState; error: string | null }[];
}

export function idleProgress(): PreloadProgress {
  return { state: "idle", total: 0, done: 0, models: [] };
}

/**
 * Order of a preload: pinned models first (they stay), then the rest from the
 * lowest priority up, so that the models left awake when the budget runs out
 * are the pinned and the highest-priority ones; the earlier ones were put to
 * sleep at their level to make room, and their first request costs a wake.
 */
export function preloadOrder(mux: MuxState, names: readonly string[]): string[] {
  const index = new Map([...mux.slots.keys()].map((name, i) => [name, i]));
  return [...new Set(names)].sort((a, b) => {
    const x = mux.slots.get(a)?.config;
    const y = mux.slots.get(b)?.config;
    if (!x || !y) return 0;
    return Number(y.pinned) - Number(x.pinned) || x.priority - y.priority || (index.get(a) ?? 0) - (index.get(b) ?? 0);
  });
}

/** Bring `names` up one by one with `wake` (each warmed up when `warmup` is on); a failure is recorded and the rest go on. */
export async function runPreload(mux: MuxState, names: readonly string[], wake: (name: string) => Promise<void>): Promise<void> {
  const order = preloadOrder(mux, names);
  const progress = mux.preloadProgress;
  progress.state = "running";
  progress.total = order.length;
  progress.done = 0;
  progress.models = order.map((name) => ({ name, state: "pending", error: null }));
  for (const entry of progress.models) {
    if (mux.closing) break;
    entry.state = "loading";
    mux.emit({ type: "preload", model: entry.name, at: mux.clock.now(), state: "loading" });
    try {
      await wake(entry.name);
      entry.state = "loaded";
    } catch (error) {
      entry.state = "failed";
      entry.error = messageOf(error);
    }
    progress.done++;
    mux.emit({ type: "preload", model: entry.name, at: mux.clock.now(), state: entry.state, ...(entry.error === null ? {} : { error: entry.error }) });
  }
  progress.state = "done";
}
