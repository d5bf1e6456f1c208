import { SimUnknownFaultError } from "../errors.js";

/** Faults that `POST /_sim/fault` can arm (see the README). */
export const faultNames = [
  "fail_sleep",
  "hang_sleep",
  "fail_wake",
  "hang_wake",
  "fail_reload",
  "hang_reload",
  "noop_reload",
  "crash",
  "error_500",
  "hang_request",
  "crash_mid_stream",
] as const;

export type FaultName = (typeof faultNames)[number];

export function isFaultName(name: unknown): name is FaultName {
  return typeof name === "string" && (faultNames as readonly string[]).includes(name);
}

/** Armed faults: each fires for the next `count` occurrences of its trigger. */
export class FaultBox {
  readonly #armed = new Map<FaultName, number>();

  arm(name: string, count = 1): void {
    if (!isFaultName(name)) throw new SimUnknownFaultError(name);
    this.#armed.set(name, (this.#armed.get(name) ?? 0) + count);
  }

  /** Use one occurrence of `name` if armed; true when it fires. */
  take(name: FaultName): boolean {
    const left = this.#armed.get(name) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.#armed.delete(name);
    else this.#armed.set(name, left - 1);
    return true;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#armed);
  }
}
