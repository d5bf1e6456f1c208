import type { Clock } from "./clock.js";

export class OperationTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${(ms / 1000).toFixed(1)} s`);
    this.name = "OperationTimeout";
  }
}

/**
 * Run `operation` with an AbortSignal that fires after `ms` (clock time) or
 * when `outer` aborts; rejects with `OperationTimeout` on the deadline even if
 * the operation ignores its signal.
 */
export async function withTimeout<T>(
  clock: Clock,
  what: string,
  ms: number,
  outer: AbortSignal | undefined,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  let onOuterAbort: (() => void) | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      const error = new OperationTimeout(what, ms);
      controller.abort(error);
      reject(error);
    }, ms);
    if (outer) {
      onOuterAbort = () => {
        controller.abort(outer.reason);
        reject(outer.reason instanceof Error ? outer.reason : new Error(`${what} aborted`));
      };
      if (outer.aborted) onOuterAbort();
      else outer.addEventListener("abort", onOuterAbort, { once: true });
    }
  });
  try {
    return await Promise.race([operation(controller.signal), guard]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    if (outer && onOuterAbort) outer.removeEventListener("abort", onOuterAbort);
  }
}
