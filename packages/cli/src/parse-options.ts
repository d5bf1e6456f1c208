import { InvalidArgumentError } from "commander";
import { parseLogFormat, parseLogLevel } from "./logger.js";

/** Commander argument parsers: each rejects a bad value with a message naming what was expected. */

function asCommanderError<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`expected a port between 1 and 65535, found "${value}"`);
  }
  return port;
}

/** Like parsePort, but 0 (= disabled) is allowed. */
export function parsePortOrZero(value: string): number {
  return value === "0" ? 0 : parsePort(value);
}

/** `a,b` → `["a", "b"]`: model names (checked against the config once it is loaded). */
export function parseNameList(value: string): string[] {
  const names = value.split(",").map((item) => item.trim());
  if (names.some((name) => name === "")) throw new InvalidArgumentError(`expected comma-separated model names, found "${value}"`);
  return [...new Set(names)];
}

/** `1,2` → `[1, 2]`: the sleep levels the validator exercises (3 = stop and cold start). */
export function parseLevels(value: string): Array<1 | 2 | 3> {
  const levels = value.split(",").map((item) => item.trim());
  if (levels.some((level) => level !== "1" && level !== "2" && level !== "3")) {
    throw new InvalidArgumentError(`expected a comma-separated list of sleep levels (1, 2, 3), found "${value}"`);
  }
  return [...new Set(levels.map((level) => Number(level) as 1 | 2 | 3))];
}

export const parseLogLevelOption = asCommanderError(parseLogLevel);
export const parseLogFormatOption = asCommanderError(parseLogFormat);

/** `--min-release` / `--min-restore`: a fraction in (0, 1]. */
export function parseFraction(value: string): number {
  const fraction = Number(value);
  if (value.trim() === "" || !(fraction > 0 && fraction <= 1)) {
    throw new InvalidArgumentError(`expected a number in (0, 1], found "${value}"`);
  }
  return fraction;
}
