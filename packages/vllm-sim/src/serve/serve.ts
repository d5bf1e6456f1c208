import { rmSync } from "node:fs";
import { createServer } from "node:http";
import { SimConfigError } from "../errors.js";
import { removeRecord, usedPerGpu, writeRecord } from "../gpu/gpu-records.js";
import { selectGpus } from "../gpu/gpu-selection.js";
import { memoryModel } from "../engine/memory.js";
import { SimEngine } from "../engine/sim-engine.js";
import type { SimContext } from "../http/context.js";
import { createRouter } from "../http/router.js";
import { sleepMs } from "../http/http-util.js";
import { type ServeArgs, parseServeArgs } from "./args.js";
import { parseDevMode } from "./dev-mode.js";
import { createEventLog } from "./event-log.js";
import { type SimKnobs, resolveKnobs } from "./knobs.js";
import { closeIdleConnectionsAfter } from "./keep-alive.js";
import { createLogger } from "./logger.js";
import { checkStartupMemory, portTaken } from "./startup-checks.js";

/** How long `/health` answers 503 after a crash before the process exits. */
const crashExitDelayMs = 100;

/**
 * `vllm-sim serve ...`: behave like `vllm serve` v0.13 from the command line
 * to the exit code. Never returns while the server runs.
 */
export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const logger = createLogger();
  let args: ServeArgs;
  let knobs: SimKnobs;
  try {
    args = parseServeArgs(argv);
    knobs = resolveKnobs(args.sim, env);
  } catch (error) {
    if (!(error instanceof SimConfigError)) throw error;
    process.stderr.write(`usage: vllm serve [model_tag] [options]\nvllm serve: error: ${error.message}\n`);
    process.exit(2);
  }
  const model = args.servedModelNames[0] as string;
  const events = createEventLog(knobs.eventLog, model);
  logger.info("api_server.py:1885", `vLLM API server version ${knobs.version}`);
  logger.info("utils.py:253", `non-default args: ${JSON.stringify(args.given)}`);

  const devMode = parseDevMode(env.VLLM_SERVER_DEV_MODE);
  if (!devMode.ok) {
    logger.error("api_server.py:1900", devMode.error);
    process.exit(1);
  }
  if (devMode.enabled)
    logger.warn("api_server.py:1500", "SECURITY WARNING: Development endpoints are enabled on the API server. This should NOT be used in production!");
  if (knobs.failStartup !== undefined) {
    logger.error("core.py:700", `EngineCore failed to start.\n${knobs.failStartup}`, "EngineCore_DP0");
    logger.error("api_server.py:1900", "RuntimeError: Engine core initialization failed. See root cause above.");
    process.exit(1);
  }
  if (args.uds === undefined && (await portTaken(args.host, args.port))) {
    logger.error("api_server.py:1900", `OSError: [Errno 98] Address already in use: ('${args.host}', ${args.port})`);
    process.exit(1);
  }

  const gpus = selectGpus(env.CUDA_VISIBLE_DEVICES, args.tensorParallelSize);
  const weightsMib = knobs.weightsMib ?? Math.min(15_000, Math.floor(args.gpuMemoryUtilization * knobs.gpuTotalMib * 0.5));
  const memory = memoryModel({
    utilization: args.gpuMemoryUtilization,
    totalMib: knobs.gpuTotalMib,
    weightsMib,
    contextMib: knobs.contextMib,
    sleepFreesNothing: knobs.brokenSleep || !args.enableSleepMode,
  });
  const memoryError = checkStartupMemory({
    stateDir: knobs.stateDir,
    gpuCount: knobs.gpuCount,
    gpuTotalMib: knobs.gpuTotalMib,
    gpus,
    utilization: args.gpuMemoryUtilization,
    weightsMib,
    contextMib: knobs.contextMib,
  });
  if (memoryError) {
    logger.error("core.py:700", `EngineCore failed to start.\n${memoryError}`, "EngineCore_DP0");
    process.exit(1);
  }

  let currentMib = memory.awakeMib;
  // Only a socket file this process bound is its to remove; a clash leaves the other server's file alone.
  let bound = false;
  const record = (mib: number): void =>
    writeRecord(knobs.stateDir, { pid: process.pid, model, gpus, usedMib: Object.fromEntries(gpus.map((index) => [String(index), mib])) });
  process.on("exit", (code) => {
    removeRecord(knobs.stateDir, process.pid);
    if (args.uds !== undefined && bound) removeSocketFile(args.uds);
    events.emit("exit", { code });
  });
  record(currentMib);

  let dying = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (knobs.ignoreSigterm) {
      logger.warn("launcher.py:100", `Received ${signal}; ignoring it (--sim-ignore-sigterm).`);
      return;
    }
    logger.info("launcher.py:110", "Shutting down FastAPI HTTP server.");
    process.exit(0);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  const engine: SimEngine = new SimEngine({
    knobs,
    model,
    tensorParallelSize: args.tensorParallelSize,
    memory,
    logger,
    events,
    setMemory: (mib) => {
      if (mib > currentMib) {
        const others = usedPerGpu(knobs.stateDir, knobs.gpuCount, process.pid);
        if (gpus.some((index) => (others[index] ?? 0) + mib > knobs.gpuTotalMib)) return false;
      }
      currentMib = mib;
      record(mib);
      return true;
    },
    crash: (reason, lines) => {
      if (dying) return;
      dying = true;
      engine.dead = true;
      for (const line of lines) logger.error("core.py:900", line, "EngineCore_DP0");
      logger.error(
        "async_llm.py:500",
        "AsyncLLM output_handler failed.\nvllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See stack trace (above) for the root cause.",
      );
      events.emit("crash", { reason });
      for (const request of [...engine.running.values()]) request.abort("engine_dead");
      setTimeout(() => {
        logger.info("launcher.py:110", "Shutting down FastAPI HTTP server.");
        process.exit(1);
      }, crashExitDelayMs);
    },
  });

  // Loading: nothing listens until it is done (connections are refused, no 503 phase).
  const loadStarted = Date.now();
  logger.info("gpu_model_runner.py:2600", `Starting to load model ${args.modelPath}...`, "EngineCore_DP0");
  await sleepMs(knobs.startupMs * 0.6);
  const seconds = (): string => ((Date.now() - loadStarted) / 1000).toFixed(2);
  logger.info("default_loader.py:290", `Loading weights took ${seconds()} seconds`, "EngineCore_DP0");
  logger.info("gpu_model_runner.py:2650", `Model loading took ${(weightsMib / 1024).toFixed(4)} GiB and ${seconds()} seconds`, "EngineCore_DP0");
  await sleepMs(knobs.startupMs * 0.4);
  logger.info(
    "gpu_model_runner.py:3400",
    `Graph capturing finished in ${Math.max(1, Math.round(knobs.startupMs * 0.0002))} secs, took 0.50 GiB`,
    "EngineCore_DP0",
  );
  logger.info("core.py:250", `init engine (profile, create kv cache, warmup model) took ${seconds()} seconds`, "EngineCore_DP0");

  const ctx: SimContext = {
    args,
    knobs,
    engine,
    logger,
    events,
    devMode: devMode.enabled,
    createdAt: Math.floor(Date.now() / 1000),
    memoryMib: () => currentMib,
  };
  const server = createServer(createRouter(ctx, () => dying));
  closeIdleConnectionsAfter(server, knobs.keepAliveMs);
  await new Promise<void>((resolve) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const where = args.uds ?? `('${args.host}', ${args.port})`;
      const detail = error.code === "EADDRINUSE" ? `[Errno 98] Address already in use: ${where}` : error.message;
      logger.error("api_server.py:1900", `OSError: ${detail}`);
      process.exit(1);
    });
    if (args.uds !== undefined) server.listen(args.uds, () => resolve());
    else server.listen(args.port, args.host, () => resolve());
  });
  bound = true;
  const address = server.address();
  const port = address && typeof address === "object" ? address.port : args.port;
  logger.info("api_server.py:1950", `Starting vLLM API server 0 on ${args.uds === undefined ? `http://${args.host}:${port}` : `unix:${args.uds}`}`);
  logger.info(
    "launcher.py:40",
    "Available routes are: /health, /version, /v1/models, /v1/chat/completions, /v1/completions, /v1/embeddings, /tokenize, /detokenize, /metrics",
  );
  logger.info("on.py:62", "Application startup complete.");
  events.emit("ready", {
    ...(args.uds === undefined ? { port } : { uds: args.uds }),
    gpus,
    memory_mib: currentMib,
    dev_mode: devMode.enabled,
    sleep_mode: args.enableSleepMode,
  });
}

function removeSocketFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Exiting anyway; the directory's owner cleans up what is left.
  }
}
