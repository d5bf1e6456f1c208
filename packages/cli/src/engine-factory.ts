import type { LlmuxConfig, ModelConfig } from "@llmux/core";
import type { LogBook } from "@llmux/proxy";
import { VllmServer, serverOptionsFromConfig, type Engine, type EngineExit } from "@llmux/vllm-client";
import type { Logger } from "pino";
import { readStartTime } from "./proc-info.js";
import type { StateFile } from "./state-file.js";
import { isPhaseLine, stripVllmPrefix } from "./vllm-phase-lines.js";

/** What core calls to get an engine for a model (`new Multiplexer({ engineFactory })`). */
export type EngineFactory = (name: string, model: ModelConfig, config: LlmuxConfig) => Engine;

export interface VllmEngineFactoryOptions {
  logger: Logger;
  /** Where spawned process groups are recorded for orphan reaping; none when undefined. */
  stateFile?: StateFile | undefined;
  /** Where each model's vLLM output is kept for `GET /llmux/logs/{model}` (every line, whatever `vllm_logging` says). */
  logs?: LogBook | undefined;
  /** How often a start in progress logs its elapsed time. Default 10 000 ms. */
  progressIntervalMs?: number;
}

/**
 * The production engine factory: one `VllmServer` per model, with its events
 * turned into log lines and state-file records. This is where the binary
 * observes vLLM; the libraries only emit events.
 */
export function createVllmEngineFactory(options: VllmEngineFactoryOptions): EngineFactory {
  const { logger, stateFile, logs } = options;
  const progressIntervalMs = options.progressIntervalMs ?? 10_000;
  return (name, model, config) => {
    const server = new VllmServer(serverOptionsFromConfig(name, model, config));
    const log = logger.child({ model: name });
    let progress: NodeJS.Timeout | undefined;
    let spawnedPid: number | undefined;
    const stopProgress = (): void => {
      if (progress !== undefined) clearInterval(progress);
      progress = undefined;
    };

    server.on("spawn", ({ pid, argv }: { pid: number; argv: string[] }) => {
      spawnedPid = pid;
      const startTime = readStartTime(pid);
      try {
        stateFile?.add({
          model: name,
          pid,
          pgid: pid,
          argv,
          ...(startTime === undefined ? {} : { startTime }),
          recordedAt: Date.now(),
        });
      } catch (error) {
        // Serving matters more than the record: say that a crash now could orphan this process.
        log.warn({ err: error }, "cannot record the vLLM process in the state file");
      }
      log.info({ vllm_pid: pid, argv }, "vLLM process started");
      const startedAt = Date.now();
      stopProgress();
      progress = setInterval(() => {
        log.info({ elapsed_s: Math.round((Date.now() - startedAt) / 1000) }, "vLLM still starting");
      }, progressIntervalMs);
      progress.unref();
    });

    server.on("log", (line: string, stream: "stdout" | "stderr") => {
      logs?.append(name, line);
      if (config.vllm_logging) log.info({ stream, vllm: true }, stripVllmPrefix(line));
      else if (isPhaseLine(line)) log.info({ vllm: true }, stripVllmPrefix(line));
    });

    server.on("ready", ({ version, durationMs }: { version?: string; durationMs: number }) => {
      stopProgress();
      log.info({ vllm_version: version, duration_ms: Math.round(durationMs) }, "vLLM ready");
    });

    server.on("warning", ({ code, message }: { code: string; message: string }) => {
      log.warn({ code }, message);
    });

    server.on("exit", (exit: EngineExit) => {
      stopProgress();
      try {
        if (spawnedPid !== undefined) stateFile?.remove(spawnedPid);
      } catch (error) {
        log.warn({ err: error }, "cannot update the state file");
      }
      spawnedPid = undefined;
      if (exit.expected) {
        log.info({ code: exit.code, signal: exit.signal }, "vLLM process stopped");
      } else {
        // The reason a vLLM dies (CUDA OOM, bad model path, port in use) is in its last lines.
        log.error({ code: exit.code, signal: exit.signal, last_lines: exit.lastLines }, "vLLM process exited unexpectedly");
      }
    });

    return server;
  };
}
