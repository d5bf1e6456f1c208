import { readFile } from "node:fs/promises";
import { parseConfig } from "@llmux/core";
import type { ValidatorConfig } from "./engine.js";
import { ValidateOptionsError } from "./errors.js";

/**
 * Read and validate an llmux config file with core's `parseConfig` (defaults
 * applied, unknown keys rejected). A file that cannot be read or parsed as
 * JSON becomes `LLMUX_ERR_VALIDATE_OPTIONS`; schema errors stay core's
 * `ConfigError` (`LLMUX_ERR_CONFIG`, with `issues`).
 */
export async function loadConfigFile(path: string): Promise<ValidatorConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ValidateOptionsError(`cannot read config file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidateOptionsError(`config file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(json);
}
