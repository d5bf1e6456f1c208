import { lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { StartFailedError } from "./errors.js";
import { groupSocketInodes } from "./listener-owner.js";

/** The socket's name inside its directory: the directory alone tells engines apart. */
const SOCKET_NAME = "vllm.sock";

/** `sun_path` holds 108 bytes on Linux, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 107;

/** `__SO_ACCEPTCON` in the Flags column of `/proc/net/unix`: the socket listens. */
const SO_ACCEPTCON = 0x10000;

/**
 * A fresh directory only this user can open (mkdtemp makes it 0700) and the
 * path of the engine's socket in it. vLLM leaves its socket's permissions to
 * the umask, so the directory is what keeps other users out.
 */
export function createSocketDir(base: string = tmpdir()): { dir: string; socketPath: string } {
  const dir = mkdtempSync(join(base, "llmux-"));
  const socketPath = join(dir, SOCKET_NAME);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    removeSocketDir(dir);
    throw new StartFailedError(
      `the engine socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes (a Unix socket's limit); set TMPDIR to a shorter directory or give the model a port`,
    );
  }
  return { dir, socketPath };
}

/** Remove the directory and whatever the engine left in it. Never throws: it runs on exit and error paths. */
export function removeSocketDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Nothing more can be done here; the next llmux start reaps what its state file names.
  }
}

/**
 * The socket directory a recorded `vllm serve` argv names (`--uds <dir>/vllm.sock`),
 * when it is still one llmux made: a real directory named `llmux-XXXXXX`
 * owned by this user. Anything else (a path a person chose, a symlink, another
 * owner's) is not llmux's to remove.
 */
export function recordedSocketDir(argv: readonly string[]): string | undefined {
  const index = argv.indexOf("--uds");
  const socketPath = index === -1 ? undefined : argv[index + 1];
  if (socketPath === undefined || basename(socketPath) !== SOCKET_NAME) return undefined;
  const dir = dirname(socketPath);
  if (!/^llmux-[A-Za-z0-9]{6}$/.test(basename(dir))) return undefined;
  try {
    const stat = lstatSync(dir);
    const uid = process.getuid?.();
    return stat.isDirectory() && (uid === undefined || stat.uid === uid) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why the socket at `socketPath` is not one only the engine's group `pgid`
 * listens on, in a directory only this user can open; undefined when it is.
 * Checked once `/health` answered over it, before the engine counts as ready.
 */
export function socketProblem(dir: string, socketPath: string, pgid: number): string | undefined {
  const uid = process.getuid?.();
  let dirStat;
  let socketStat;
  try {
    dirStat = lstatSync(dir);
    socketStat = lstatSync(socketPath);
  } catch (error) {
    return `cannot inspect it: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (!dirStat.isDirectory()) return "its directory is not a directory";
  if ((dirStat.mode & 0o777) !== 0o700) return `its directory has mode ${(dirStat.mode & 0o777).toString(8)}, not 700`;
  if (uid !== undefined && dirStat.uid !== uid) return `its directory belongs to uid ${dirStat.uid}, not ${uid}`;
  if (!socketStat.isSocket()) return "it is not a socket";
  if (uid !== undefined && socketStat.uid !== uid) return `it belongs to uid ${socketStat.uid}, not ${uid}`;
  const listeners = listeningUnixInodes(socketPath);
  if (listeners === undefined) return undefined; // no /proc: the directory checks are all there is
  if (listeners.size === 0) return "nothing listens on it";
  const own = groupSocketInodes(pgid);
  for (const inode of listeners) if (!own.has(inode)) return "a process outside the engine's process group listens on it";
  return undefined;
}

/** Inodes of the Unix sockets listening at `path`, from `/proc/net/unix`; undefined where that cannot be read. */
function listeningUnixInodes(path: string): Set<string> | undefined {
  let text: string;
  try {
    text = readFileSync("/proc/net/unix", "utf8");
  } catch {
    return undefined;
  }
  const inodes = new Set<string>();
  for (const line of text.split("\n").slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || fields.slice(7).join(" ") !== path) continue;
    if ((Number.parseInt(fields[3] ?? "0", 16) & SO_ACCEPTCON) !== 0 && fields[6] !== undefined) inodes.add(fields[6]);
  }
  return inodes;
}
