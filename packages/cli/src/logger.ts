import { pino, type Logger, type DestinationStream } from "pino";
import PinoPretty from "pino-pretty";
import { CliUsageError } from "./errors.js";

export type LogFormat = "json" | "pretty";
export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  /** Default: `pretty` when the destination is a TTY, `json` otherwise. */
  format?: LogFormat;
  /** Default: stdout (file descriptor 1). */
  destination?: DestinationStream | NodeJS.WritableStream | number;
  /** Whether the destination is a terminal; default `process.stdout.isTTY` for stdout. */
  isTty?: boolean;
}

export function parseLogLevel(value: string): LogLevel {
  const level = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new CliUsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}; found "${value}"`);
  }
  return level as LogLevel;
}

export function parseLogFormat(value: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(value)) {
    throw new CliUsageError(`--log-format must be json or pretty; found "${value}"`);
  }
  return value as LogFormat;
}

/** On a terminal, lines about one model start with its name unless the message already does. */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const message = String(log[messageKey] ?? "");
  const model = log["model"];
  if (typeof model !== "string" || message.startsWith(`${model}:`)) return message;
  return `[${model}] ${message}`;
}

/**
 * The binary's logger: one JSON object per line for machines (the default when
 * stdout is not a terminal), or pino-pretty's coloured lines for people.
 * Writes are synchronous so that the last lines before an exit are never lost.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? 1;
  const isTty = options.isTty ?? (destination === 1 ? Boolean(process.stdout.isTTY) : false);
  const format = options.format ?? (isTty ? "pretty" : "json");
  const level = options.level ?? "info";
  const base = { name: "llmux" };
  if (format === "pretty") {
    const stream = PinoPretty({
      colorize: isTty,
      sync: true,
      destination: destination as never,
      // Fields the message already says; the JSON format keeps them all.
      ignore: "pid,hostname,name,model,vllm,stream,from,to,after_ms,switch_id,result,duration_ms,phases,reason,url,models",
      messageFormat: prettyMessage,
      translateTime: "SYS:HH:MM:ss.l",
      singleLine: true,
    });
    return pino({ level, base }, stream);
  }
  const stream =
    typeof destination === "number" ? pino.destination({ dest: destination, sync: true }) : (destination as DestinationStream);
  return pino({ level, base }, stream);
}
