/** Where vLLM's log records come from; it prefixes each line with the process. */
export type LogSource = "APIServer" | "EngineCore_DP0";
export type LogLevel = "INFO" | "WARNING" | "ERROR" | "DEBUG";

export interface SimLogger {
  log(level: LogLevel, file: string, message: string, source?: LogSource): void;
  info(file: string, message: string, source?: LogSource): void;
  warn(file: string, message: string, source?: LogSource): void;
  error(file: string, message: string, source?: LogSource): void;
  /** uvicorn's access line (vLLM keeps it, prefixed like every other line). */
  access(remote: string, method: string, path: string, status: number): void;
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** vLLM's `%m-%d %H:%M:%S` timestamp. */
function stamp(date: Date): string {
  return `${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

const reasons: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * Lines shaped like vLLM's: `(APIServer pid=N) INFO 11-30 01:14:34 [api_server.py:1] message`.
 * Written synchronously so the last lines before a crash are never lost.
 */
export function createLogger(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): SimLogger {
  const log = (level: LogLevel, file: string, message: string, source: LogSource = "APIServer"): void => {
    for (const line of message.split("\n")) {
      write(`(${source} pid=${process.pid}) ${level} ${stamp(new Date())} [${file}] ${line}`);
    }
  };
  return {
    log,
    info: (file, message, source) => log("INFO", file, message, source),
    warn: (file, message, source) => log("WARNING", file, message, source),
    error: (file, message, source) => log("ERROR", file, message, source),
    access: (remote, method, path, status) =>
      write(`(APIServer pid=${process.pid}) INFO:     ${remote} - "${method} ${path} HTTP/1.1" ${status} ${reasons[status] ?? ""}`.trimEnd()),
  };
}
