import type { Logger } from "pino";

export interface ShutdownTarget {
  close(): Promise<void>;
  destroy(error?: Error): Promise<void>;
}

export interface SignalHandling {
  /** Resolves with the exit code once a signal-initiated shutdown is complete. */
  done: Promise<number>;
  /** Remove the handlers (the shutdown, if started, continues). */
  dispose(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/**
 * SIGINT/SIGTERM: a graceful `close()` (stop accepting, let in-flight requests
 * finish within the grace period, stop every vLLM group), then exit code 0.
 * A second signal while closing forces `destroy()` (kill every group now) and
 * exit code 1. The handlers stay installed until the end, so that no signal
 * falls back to Node's default (an immediate exit that would orphan vLLM).
 */
export function handleShutdownSignals(target: ShutdownTarget, logger: Logger): SignalHandling {
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      logger.info({ signal }, "shutting down: letting in-flight requests finish (send the signal again to force)");
      target.close().then(
        () => {
          logger.info("shutdown complete");
          resolveDone(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, "graceful shutdown failed; forcing");
          target.destroy(error instanceof Error ? error : undefined).finally(() => resolveDone(1));
        },
      );
    } else if (signals === 2) {
      logger.warn({ signal }, "second signal: stopping every vLLM process now");
      target.destroy(new Error(`forced shutdown on ${signal}`)).finally(() => resolveDone(1));
    }
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    done,
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}
