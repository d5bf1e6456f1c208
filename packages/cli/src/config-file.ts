import { readFileSync } from "node:fs";
import { parseConfig, type LlmuxConfig } from "@llmux/core";
import { ConfigFileError } from "./errors.js";

/** Command-line settings that replace the file's (validated together with it). */
export interface ConfigOverrides {
  port?: number | undefined;
}

/** The raw config with command-line overrides applied, before validation. */
export function applyOverrides(json: unknown, overrides: ConfigOverrides): unknown {
  if (overrides.port === undefined || json === null || typeof json !== "object" || Array.isArray(json)) return json;
  return { ...(json as Record<string, unknown>), port: overrides.port };
}

/**
 * Read and validate a config file. Throws ConfigFileError when the file is
 * missing or not JSON, and core's ConfigError (with its `issues`) when the
 * JSON does not describe a valid config.
 */
export function loadConfigFile(path: string, overrides: ConfigOverrides = {}): LlmuxConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new ConfigFileError(path, `${path}: cannot read the config file: ${why}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(path, `${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(applyOverrides(json, overrides));
}
