import { Multiplexer, checkConfig, type LlmuxConfig, type ReconfigureReport } from "@llmux/core";
import { createLogBook, createProxy, type LogBook, type RequestRecord } from "@llmux/proxy";
import type { Logger } from "pino";
import { createVllmEngineFactory, type EngineFactory } from "./engine-factory.js";
import { ShuttingDownError } from "@llmux/types";
import { assertCommandRunnable } from "./check-command.js";
import { createReloader, reloadOnSighup, type ReloadSource } from "./config-reload.js";
import { StartupError } from "./errors.js";
import { createLogger, type LogFormat, type LogLevel } from "./logger.js";
import { logMuxEvent } from "./mux-event-log.js";
import { readStartTime, isAlive } from "./proc-info.js";
import { reapOrphans } from "./reaper.js";
import { handleShutdownSignals } from "./signals.js";
import { StateFile, defaultStateFilePath } from "./state-file.js";

export interface StartLlmuxOptions {
  /** A pino logger; default: one made from `logLevel` and `logFormat`. */
  logger?: Logger;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  /**
   * Where to record spawned vLLM process groups (and reap a crashed
   * predecessor's): default `$LLMUX_STATE_FILE`, else
   * `$XDG_STATE_HOME/llmux/<port>.json`, else `~/.local/state/llmux/<port>.json`
   * (`0-<pid>.json` with port 0).
   * `false` disables the record (and the reaping). Ignored with a custom `engineFactory`.
   */
  stateFile?: string | false;
  /**
   * The lines `GET /llmux/logs` serves. Default: one sized by `proxy.log_lines`,
   * fed by the logger made here; pass the one given to `createLogger` along with
   * your own `logger`, or llmux's own lines will not be in it.
   */
  logs?: LogBook;
  /** Replace the `VllmServer` engines (tests, other runtimes). */
  engineFactory?: EngineFactory;
  /** Install SIGINT/SIGTERM handlers that close this instance (a second signal forces). Default false. */
  handleSignals?: boolean;
  /**
   * The config file to read again on `POST /llmux/reload` (and on SIGHUP with
   * `handleSignals`). Without it there is no reload.
   */
  reloadFrom?: ReloadSource;
  /** SIGTERM-to-SIGKILL delay when reaping a predecessor's orphans. Default `policy.stop_grace_secs`. */
  reapGraceMs?: number;
}

export interface RunningLlmux {
  /** The OpenAI-compatible endpoint, e.g. `http://127.0.0.1:3000`; with config port 0, the port the system picked. */
  url: string;
  /** The Prometheus endpoint's base URL; undefined when `metrics_port` is 0. */
  metricsUrl: string | undefined;
  mux: Multiplexer;
  logger: Logger;
  /** Read the config file again and apply it (see `reloadFrom`); undefined without `reloadFrom`. */
  reload: ((trigger: string) => Promise<ReconfigureReport>) | undefined;
  /** Stop accepting, let in-flight requests finish within `proxy.shutdown_grace_secs`, stop every engine. */
  close(): Promise<void>;
  /** Abort in-flight requests and kill every engine now. */
  destroy(error?: Error): Promise<void>;
  /** Resolves once a close or destroy completed. */
  readonly closed: Promise<void>;
}

/**
 * Run llmux inside this process: reap a crashed predecessor's vLLM processes,
 * start the multiplexer and the HTTP proxy, and return the bound URLs. No
 * global state and no `process.exit`; signal handlers only when asked.
 */
export async function startLlmux(config: LlmuxConfig, options: StartLlmuxOptions = {}): Promise<RunningLlmux> {
  const logs = options.logs ?? createLogBook(config);
  const logger =
    options.logger ??
    createLogger({
      ...(options.logLevel ? { level: options.logLevel } : {}),
      ...(options.logFormat ? { format: options.logFormat } : {}),
      logBook: logs,
    });

  for (const warning of checkConfig(config)) logger.warn({ config_check: true }, warning);

  if (options.engineFactory === undefined) assertCommandRunnable(config.vllm_command);
  let stateFile: StateFile | undefined;
  if (options.engineFactory === undefined && options.stateFile !== false) {
    const path = options.stateFile ?? defaultStateFilePath(config.port);
    await reapPredecessor(path, logger, options.reapGraceMs ?? config.policy.stop_grace_secs * 1000);
    const ownerStart = readStartTime(process.pid);
    stateFile = new StateFile(path, { pid: process.pid, ...(ownerStart === undefined ? {} : { startTime: ownerStart }) });
    try {
      stateFile.claim();
    } catch (error) {
      // A path the user chose must work; the default one (a read-only home) only costs the crash protection.
      if (options.stateFile !== undefined) throw error;
      logger.warn({ err: error, state_file: path }, "cannot write the state file: vLLM processes orphaned by a crash will not be reaped");
      stateFile = undefined;
    }
  }

  const engineFactory = options.engineFactory ?? createVllmEngineFactory({ logger, stateFile, logs });
  const mux = new Multiplexer({ config, engineFactory });
  const unsubscribe = mux.on((event) => logMuxEvent(logger, event));
  let reload: ((trigger: string) => Promise<ReconfigureReport>) | undefined;
  const proxy = createProxy({
    mux,
    config,
    logger,
    logs,
    ...(options.reloadFrom === undefined ? {} : { reload: () => reloadOrThrow("POST /llmux/reload") }),
  });
  const reloadOrThrow = (trigger: string): Promise<ReconfigureReport> => {
    if (reload === undefined) throw new Error("internal: reload before start");
    return reload(trigger);
  };
  if (options.reloadFrom !== undefined) reload = createReloader(options.reloadFrom, mux, proxy, logger);
  proxy.on("request", (record: RequestRecord) => {
    if (logger.isLevelEnabled("debug")) logger.debug(requestFields(record), requestLine(record));
  });

  let bound: { url: string; metricsUrl?: string | undefined };
  try {
    bound = await proxy.listen();
  } catch (error) {
    await proxy.destroy().catch(() => {});
    await mux.destroy(error instanceof Error ? error : undefined).catch(() => {});
    unsubscribe();
    stateFile?.release();
    throw new StartupError(listenFailure(config, error), { cause: error });
  }

  const graceMs = config.proxy.shutdown_grace_secs * 1000;
  let cleanedUp = false;
  const cleanup = (): void => {
    if (cleanedUp) return;
    cleanedUp = true;
    unsubscribe();
    signals?.dispose();
    stopSighup?.();
    if (stateFile !== undefined) {
      // Keep the record if something could not be stopped: the next start reaps it.
      if (stateFile.processes.length === 0) stateFile.release();
      else logger.error({ processes: stateFile.processes, state_file: stateFile.path }, "some vLLM processes may still run");
    }
  };
  let closing: Promise<void> | undefined;
  let destroying: Promise<void> | undefined;
  let closedResolve!: () => void;
  const closed = new Promise<void>((resolve) => {
    closedResolve = resolve;
  });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      // In-flight requests (streams too) get the grace period, then are cut.
      // The proxy applies the grace period itself; this timer only guards against a close that never ends.
      if (!(await settlesWithin(proxy.close(), graceMs + 5_000)) && destroying === undefined) {
        logger.warn({ grace_s: config.proxy.shutdown_grace_secs }, "in-flight requests outlived the grace period; aborting them");
        await settlesWithin(proxy.destroy(), FORCE_BUDGET_MS);
      }
      const stopBudgetMs = graceMs + config.policy.stop_grace_secs * 1000 + 5_000;
      if (!(await settlesWithin(mux.close(), stopBudgetMs))) {
        await settlesWithin(mux.destroy(new ShuttingDownError({ cause: new Error("shutdown took too long") })), FORCE_BUDGET_MS);
      }
      await destroying;
      cleanup();
    })().finally(closedResolve);
    return closing;
  };

  /** Forced: also cuts short a graceful close in progress. */
  const destroy = (error?: Error): Promise<void> => {
    destroying ??= (async () => {
      // Bounded: a forced shutdown must end even if a library hangs (the state file then keeps the record).
      await settlesWithin(proxy.destroy(), FORCE_BUDGET_MS);
      await settlesWithin(mux.destroy(error ?? new ShuttingDownError({ cause: new Error("llmux destroyed") })), FORCE_BUDGET_MS);
      cleanup();
    })().finally(closedResolve);
    return destroying;
  };

  const running: RunningLlmux = { url: bound.url, metricsUrl: bound.metricsUrl, mux, logger, reload, close, destroy, closed };
  const signals = options.handleSignals ? handleShutdownSignals(running, logger) : undefined;
  const stopSighup = options.handleSignals && reload !== undefined ? reloadOnSighup(reload) : undefined;
  logger.info({ url: bound.url, metrics_url: bound.metricsUrl, models: Object.keys(config.models) }, `llmux listening on ${bound.url}`);
  startPreload(mux, logger);
  return running;
}

/** Bring up the `preload` models in the background: `/health` answers meanwhile and `/llmux/status` shows the progress. */
function startPreload(mux: Multiplexer, logger: Logger): void {
  const names = Object.entries(mux.config.models)
    .filter(([, model]) => model.preload)
    .map(([name]) => name);
  if (names.length === 0) return;
  const started = Date.now();
  logger.info({ models: names }, `preloading ${names.join(", ")}`);
  mux.preload(names).then(
    () => {
      const progress = mux.snapshot().preload;
      const failed = progress.models.filter((model) => model.state === "failed").map((model) => model.name);
      logger.info({ duration_ms: Date.now() - started, failed }, `preload done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    },
    (error: unknown) => logger.warn({ err: error }, "preload stopped"),
  );
}

/** Reap what the previous owner of `path` left behind, unless that owner is still running. */
async function reapPredecessor(path: string, logger: Logger, graceMs: number): Promise<void> {
  const previous = StateFile.read(path);
  if (previous === undefined) return;
  const owner = previous.owner;
  if (owner.pid !== process.pid && isAlive(owner.pid) && (owner.startTime === undefined || readStartTime(owner.pid) === owner.startTime)) {
    throw new StartupError(`another llmux (pid ${owner.pid}) is running with the state file ${path}; stop it first, or give this one its own --state-file`);
  }
  if (previous.processes.length === 0) return;
  logger.warn({ state_file: path, count: previous.processes.length }, "a previous llmux left vLLM processes behind; stopping them");
  for (const outcome of await reapOrphans(previous, { graceMs })) {
    const fields = { model: outcome.record.model, pid: outcome.record.pid, action: outcome.action, detail: outcome.detail };
    if (outcome.action === "terminated" || outcome.action === "killed") logger.warn(fields, "stopped an orphaned vLLM process group");
    else if (outcome.action === "failed") logger.error(fields, "could not stop an orphaned vLLM process group");
    else logger.info(fields, "recorded vLLM process is not running any more; left alone");
  }
}

/** Which listener failed (the endpoint or the metrics one) and why, in one line. */
function listenFailure(config: LlmuxConfig, error: unknown): string {
  const errno = error as NodeJS.ErrnoException & { port?: number };
  const metrics = config.metrics_port !== 0 && errno.port === config.metrics_port;
  const where = metrics ? `${config.metrics_host}:${config.metrics_port} (metrics_port)` : `${config.host}:${config.port} (port)`;
  const why =
    errno.code === "EADDRINUSE"
      ? "the address is already in use"
      : errno.code === "ENOTFOUND" || errno.code === "EAI_AGAIN"
        ? `the host ${metrics ? config.metrics_host : config.host} does not resolve`
        : errno.code === "EADDRNOTAVAIL"
          ? "the address is not one of this machine's"
          : errno.code === "EACCES"
            ? "permission denied"
            : (errno.message ?? String(error));
  return `cannot listen on ${where}: ${why}`;
}

/** How long a forced step (abort requests, SIGKILL engines) may take before shutdown moves on. */
const FORCE_BUDGET_MS = 15_000;

/** True when `promise` settled (either way) within `ms`; false when the timer won. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** `POST /v1/chat/completions qwen 200 1234ms` */
/** A request's log fields in the wire format (snake_case, durations in named units). */
function requestFields(record: RequestRecord): Record<string, unknown> {
  const ms = (value: number | undefined) => (value === undefined ? undefined : Math.round(value));
  return {
    request_id: record.requestId,
    method: record.method,
    path: record.path,
    model: record.model,
    status: record.status,
    stream: record.stream,
    error_code: record.errorCode,
    duration_ms: ms(record.durationMs),
    queue_wait_ms: ms(record.queueWaitMs),
    time_to_first_byte_ms: ms(record.timeToFirstByteMs),
    bytes_in: record.bytesIn,
    bytes_out: record.bytesOut,
  };
}

function requestLine(record: RequestRecord): string {
  const model = record.model === undefined ? "" : ` ${record.model}`;
  return `${record.method} ${record.path}${model} ${record.status} ${Math.round(record.durationMs)}ms`;
}
