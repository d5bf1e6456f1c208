import { LLMUX_LOG, type LogBook } from "@llmux/proxy";
import { pino, type Logger, type DestinationStream, type LoggerOptions as PinoOptions } from "pino";
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
  /** Also keep each line (JSON) here, for `GET /llmux/logs`. */
  logBook?: LogBook;
}

/** Fields that may hold a key; pino replaces them before a line is written anywhere. */
const REDACT: PinoOptions["redact"] = {
  paths: [
    "authorization",
    "*.authorization",
    "headers.authorization",
    "*.headers.authorization",
    '["x-api-key"]',
    '*["x-api-key"]',
    'headers["x-api-key"]',
    '*.headers["x-api-key"]',
    "api_keys",
    "admin_keys",
    "*.api_keys",
    "*.admin_keys",
  ],
  censor: "[redacted]",
};

/** Write to `main` and, when asked, into the log book too (always as JSON lines). */
function withLogBook(main: DestinationStream, logBook: LogBook | undefined): DestinationStream {
  if (logBook === undefined) return main;
  const book: DestinationStream = {
    write(chunk: string) {
      for (const line of chunk.split("\n")) if (line !== "") logBook.append(LLMUX_LOG, line);
    },
  };
  return pino.multistream([
    { level: "trace", stream: main },
    { level: "trace", stream: book },
  ]);
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
  const pinoOptions: PinoOptions = { level, base, redact: REDACT };
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
    return pino(pinoOptions, withLogBook(stream, options.logBook));
  }
  const stream = typeof destination === "number" ? pino.destination({ dest: destination, sync: true }) : (destination as DestinationStream);
  return pino(pinoOptions, withLogBook(stream, options.logBook));
}
