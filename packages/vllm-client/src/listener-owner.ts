import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { groupMembers } from "./process-group.js";

/** `st` of a socket in LISTEN state in `/proc/net/tcp`. */
const TCP_LISTEN = "0A";

/**
 * Inodes of the TCP sockets listening on `port` (any address, IPv4 and IPv6),
 * from `/proc/net/tcp{,6}`; undefined where those cannot be read (not Linux).
 */
export function listeningSocketInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  let readAny = false;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
      readAny = true;
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local === undefined || fields[3] !== TCP_LISTEN || fields[9] === undefined) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) inodes.add(fields[9]);
    }
  }
  return readAny ? inodes : undefined;
}

/** Inodes of every socket open in a process of the group `pgid`. */
export function groupSocketInodes(pgid: number): Set<string> {
  const inodes = new Set<string>();
  for (const pid of groupMembers(pgid) ?? []) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited while we looked
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match?.[1] !== undefined) inodes.add(match[1]);
      } catch {
        // closed while we looked
      }
    }
  }
  return inodes;
}

/**
 * Who listens on `port`: `own` when every listening socket there belongs to
 * the group `pgid`, `foreign` when any belongs to another process (with
 * SO_REUSEPORT the kernel would split connections between them), `none` when
 * nothing listens, `unknown` where `/proc` cannot tell.
 */
export function listenerOwnership(pgid: number, port: number): "own" | "foreign" | "none" | "unknown" {
  const listening = listeningSocketInodes(port);
  if (listening === undefined) return "unknown";
  if (listening.size === 0) return "none";
  const own = groupSocketInodes(pgid);
  for (const inode of listening) if (!own.has(inode)) return "foreign";
  return "own";
}
