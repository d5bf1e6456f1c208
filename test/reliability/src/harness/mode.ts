/**
 * Short (default, part of `pnpm test`) or long (`LLMUX_RELIABILITY=long`)
 * runs. Every count and duration of the suite comes from here, so the long run
 * is the same code with bigger numbers.
 */
export const LONG = process.env["LLMUX_RELIABILITY"] === "long";

export interface Scale {
  /** Chaos: how long faults are injected while the load runs (ms). */
  chaosMs: number;
  /** Chaos: concurrent clients during the faults. */
  chaosClients: number;
  /** Chaos: mean gap between two injected faults (ms). */
  chaosFaultEveryMs: number;
  /** Load: concurrent clients. */
  loadClients: number;
  /** Load: requests per client (upper bound). */
  loadRequestsPerClient: number;
  /** Load: time bound of the load phase (ms). */
  loadMs: number;
  /** Hostile: how many times each hostile case is repeated. */
  hostileRepeat: number;
}

export const SCALE: Scale = LONG
  ? {
      chaosMs: 120_000,
      chaosClients: 24,
      chaosFaultEveryMs: 700,
      loadClients: 500,
      loadRequestsPerClient: 60,
      loadMs: 120_000,
      hostileRepeat: 10,
    }
  : {
      chaosMs: 8_000,
      chaosClients: 12,
      chaosFaultEveryMs: 600,
      loadClients: 500,
      loadRequestsPerClient: 3,
      loadMs: 20_000,
      hostileRepeat: 1,
    };

export const MODE_NAME = LONG ? "long" : "short";
