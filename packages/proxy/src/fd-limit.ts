import { readFileSync } from "node:fs";

/** The soft limit on open files when /proc cannot be read (a common Linux default). */
const FALLBACK_OPEN_FILES = 1024;
/** Descriptors kept for everything that is not a client connection: engines' sockets, logs, the state file. */
const NON_CLIENT_FILES = 128;
const MIN_CONNECTIONS = 64;
const MAX_DEFAULT_CONNECTIONS = 16384;

/** The process's soft limit on open files, from /proc/self/limits (Linux). */
export function openFilesLimit(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return FALLBACK_OPEN_FILES;
    }
  }
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (match === null) return FALLBACK_OPEN_FILES;
  return match[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

/**
 * The default client-connection cap: each forwarded request may hold a
 * client socket and an upstream socket, so half of what the file limit
 * leaves, bounded. A fixed default either locked out busy deployments
 * (512 under 500 clients) or outgrew a 1,024-descriptor limit.
 */
export function defaultMaxConnections(openFiles = openFilesLimit()): number {
  const fromLimit = Math.floor((openFiles - NON_CLIENT_FILES) / 2);
  return Math.min(MAX_DEFAULT_CONNECTIONS, Math.max(MIN_CONNECTIONS, fromLimit));
}
