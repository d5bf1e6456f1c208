import { COST_PRIORS, type ModelState, type MuxEvent, type MuxSnapshot } from "@llmux/core";
import type { ProxyLease, ProxyMux } from "../../src/mux.js";

export interface FakeLease extends ProxyLease {
  released: boolean;
  /** What the proxy reported when it released the lease. */
  usage?: { completionTokens?: number } | undefined;
  /** Abort the lease as core does when the model dies. */
  kill(reason: unknown): void;
}

interface Waiter {
  model: string;
  signal: AbortSignal | undefined;
  resolve: (lease: FakeLease) => void;
  reject: (error: unknown) => void;
}

/**
 * A stand-in for core's Multiplexer for the proxy's own tests: leases point at
 * real upstream servers; `hold()` makes acquires wait (as during a switch)
 * until `releaseHeld()`. Tests that need a real Multiplexer use core's.
 */
export class FakeMux implements ProxyMux {
  readonly leases: FakeLease[] = [];
  readonly acquireSignals: AbortSignal[] = [];
  readonly adminCalls: string[] = [];
  readonly states = new Map<string, ModelState>();
  acquireError: unknown;
  private holding = false;
  private readonly waiters: Waiter[] = [];
  private readonly listeners = new Set<(event: MuxEvent) => void>();

  constructor(private readonly urls: Record<string, string>) {
    for (const model of Object.keys(urls)) this.states.set(model, "awake");
  }

  acquire(model: string, options: { signal?: AbortSignal; deadline?: number }): Promise<ProxyLease> {
    if (options.signal) this.acquireSignals.push(options.signal);
    if (this.acquireError !== undefined) return Promise.reject(this.acquireError);
    if (!this.holding) return Promise.resolve(this.grant(model));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { model, signal: options.signal, resolve, reject };
      this.waiters.push(waiter);
      options.signal?.addEventListener("abort", () => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(options.signal?.reason);
      });
    });
  }

  /** Make acquires wait. */
  hold(): void {
    this.holding = true;
  }

  /** Grant every waiting acquire and stop holding. */
  releaseHeld(): void {
    this.holding = false;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(this.grant(waiter.model));
  }

  /** Reject every waiting acquire with `error` (as core does on a queue timeout). */
  rejectHeld(error: unknown): void {
    this.holding = false;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  get waiting(): number {
    return this.waiters.length;
  }

  private grant(model: string): FakeLease {
    const controller = new AbortController();
    const url = this.urls[model];
    if (url === undefined) throw new Error(`no upstream for ${model}`);
    const lease: FakeLease = {
      model,
      url,
      signal: controller.signal,
      released: false,
      release(usage) {
        if (lease.released) return;
        lease.released = true;
        lease.usage = usage;
      },
      kill(reason) {
        controller.abort(reason);
      },
    };
    this.leases.push(lease);
    return lease;
  }

  snapshot(): MuxSnapshot {
    const models = [...this.states].map(([name, state]) => ({
      name,
      state,
      sleepLevel: state === "asleep" ? (1 as const) : state === "stopped" ? (3 as const) : null,
      configuredSleepLevel: 1 as const,
      queueDepth: this.waiters.filter((waiter) => waiter.model === name).length,
      inFlight: this.leases.filter((lease) => lease.model === name && !lease.released).length,
      awakeSince: null,
      costs: { sleepMs: { 1: null, 2: null }, wakeMs: { 1: null, 2: null }, coldStartMs: null, stopMs: null, samples: 0, priors: { ...COST_PRIORS } },
      lastError: null,
      restarts: 0,
      backoffSecs: 0,
      gpus: [0],
      gpuMemoryUtilization: 0.9,
      max_concurrency: 256,
      drain: null,
      service: { ms_per_token: null, lease_p50_ms: null, output_tokens_p50: null, output_tokens_p90: null, leases: 0, reported: 0 },
      placement: "auto" as const,
      removing: false,
      settings_pending: false,
    }));
    return { at: 0, policy: "fake", closed: false, models, gpus: [], switches: [], preload: { state: "idle", total: 0, done: 0, models: [] } };
  }

  on(listener: (event: MuxEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: MuxEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  async sleepModel(name: string, level?: 1 | 2 | 3): Promise<void> {
    this.adminCalls.push(`sleep:${name}:${level ?? "default"}`);
    this.states.set(name, level === 3 ? "stopped" : "asleep");
  }

  async wakeModel(name: string): Promise<void> {
    this.adminCalls.push(`wake:${name}`);
    this.states.set(name, "awake");
  }

  async stopModel(name: string): Promise<void> {
    this.adminCalls.push(`stop:${name}`);
    this.states.set(name, "stopped");
  }
}
