import type { Multiplexer, ReconfigureReport } from "@llmux/core";
import { ConfigReloadError, type LlmuxProxy } from "@llmux/proxy";
import { isLlmuxError } from "@llmux/vllm-client";
import type { Logger } from "pino";
import { loadConfigFile, type ConfigOverrides } from "./config-file.js";
import { formatConfigIssues, hasConfigIssues } from "./format-config-error.js";

export interface ReloadSource {
  /** The config file the server was started with. */
  path: string;
  /** Command-line settings that still replace the file's. */
  overrides?: ConfigOverrides;
}

/**
 * Re-read the config file and apply it to the running multiplexer and proxy.
 * Reloads run one at a time; an invalid file changes nothing, logs one line
 * and throws `ConfigReloadError` (the endpoint's 400) listing the problems.
 */
export function createReloader(source: ReloadSource, mux: Multiplexer, proxy: LlmuxProxy, logger: Logger): (trigger: string) => Promise<ReconfigureReport> {
  let last: Promise<unknown> = Promise.resolve();
  const reloadOnce = async (trigger: string): Promise<ReconfigureReport> => {
    let report: ReconfigureReport;
    try {
      report = mux.reconfigure(loadConfigFile(source.path, source.overrides ?? {}));
    } catch (error) {
      const problems = problemsOf(source.path, error);
      if (problems === undefined) throw error;
      proxy.metrics.countReload("invalid");
      logger.error({ trigger, config: source.path, problems }, `config reload (${trigger}) refused, nothing changed: ${problems.join("; ")}`);
      throw new ConfigReloadError(problems, { cause: error });
    }
    proxy.reconfigure(mux.config);
    proxy.metrics.countReload("ok");
    const summary = (["added", "removed", "changed"] as const).filter((key) => report[key].length > 0).map((key) => `${key} ${report[key].join(", ")}`);
    const restart = report.restart_required.length > 0 ? `; needs a restart to apply: ${report.restart_required.join(", ")}` : "";
    const fields = { trigger, config: source.path, ...report };
    const line = `config reloaded (${trigger}): ${summary.length > 0 ? summary.join("; ") : "no model changed"}${restart}`;
    if (restart === "") logger.info(fields, line);
    else logger.warn(fields, line);
    return report;
  };
  return (trigger) => {
    const run = last.then(() => reloadOnce(trigger));
    last = run.catch(() => {});
    return run;
  };
}

/** The problems of an unusable config file, one line each with its JSON path; undefined for other errors. */
function problemsOf(path: string, error: unknown): string[] | undefined {
  if (hasConfigIssues(error)) return formatConfigIssues(path, error.issues);
  if (isLlmuxError(error, "LLMUX_ERR_CONFIG_FILE")) return [error.message];
  return undefined;
}

/** SIGHUP reloads; returns the function that removes the handler. */
export function reloadOnSighup(reload: (trigger: string) => Promise<unknown>): () => void {
  const onHangup = (): void => {
    // The reloader logs the outcome; a refused file must not crash the server.
    reload("SIGHUP").catch(() => {});
  };
  process.on("SIGHUP", onHangup);
  return () => process.off("SIGHUP", onHangup);
}
