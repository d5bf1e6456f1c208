import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { StateFileError } from "./errors.js";

/** One vLLM process group that llmux spawned, as recorded in the state file. */
export interface ProcessRecord {
  /** The model it serves (for log lines only). */
  model: string;
  /** The group leader's pid; llmux spawns each vLLM in its own group, so this is also the pgid. */
  pid: number;
  pgid: number;
  /** The argv llmux spawned (command first). */
  argv: string[];
  /** `/proc/<pid>/stat` field 22 when it could be read: what makes a pid unique across reuse. */
  startTime?: string;
  /** Epoch milliseconds when it was recorded. */
  recordedAt: number;
}

/** The whole file: who owns it, and the groups it started. */
export interface StateFileContent {
  version: 1;
  owner: { pid: number; startTime?: string };
  processes: ProcessRecord[];
}

/**
 * Where the state file lives unless told: `$LLMUX_STATE_FILE`, else
 * `$XDG_STATE_HOME/llmux/<port>.json`, else `~/.local/state/llmux/<port>.json`.
 * Keyed by the proxy port because two llmux instances cannot share one. With
 * port 0 (a free port each run) no later run can tell which file was its
 * predecessor's, so the name is per process (`0-<pid>.json`).
 */
export function defaultStateFilePath(port: number, env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): string {
  const override = env["LLMUX_STATE_FILE"];
  if (override) return override;
  const base = env["XDG_STATE_HOME"] || join(homedir(), ".local", "state");
  return join(base, "llmux", port === 0 ? `0-${pid}.json` : `${port}.json`);
}

/**
 * The record of process groups this llmux started, so that the next llmux can
 * stop them if this one dies without cleaning up. Every change is written at
 * once (write a temporary file, then rename) so the record survives a crash
 * at any moment.
 */
export class StateFile {
  readonly path: string;
  readonly #owner: StateFileContent["owner"];
  readonly #processes = new Map<number, ProcessRecord>();

  constructor(path: string, owner: StateFileContent["owner"]) {
    this.path = path;
    this.#owner = owner;
  }

  /** The file's content, or undefined when there is none. Throws StateFileError when it is unreadable. */
  static read(path: string): StateFileContent | undefined {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw new StateFileError(path, `cannot read the state file ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const content = JSON.parse(text) as StateFileContent;
      if (content?.version !== 1 || !Array.isArray(content.processes)) throw new Error("unknown format");
      return content;
    } catch (error) {
      throw new StateFileError(path, `the state file ${path} is not a llmux state file: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  get processes(): ProcessRecord[] {
    return [...this.#processes.values()];
  }

  add(record: ProcessRecord): void {
    this.#processes.set(record.pid, record);
    this.#write();
  }

  remove(pid: number): void {
    if (this.#processes.delete(pid)) this.#write();
  }

  /** Write the (empty) record now, taking ownership of the path. */
  claim(): void {
    this.#write();
  }

  /** Delete the file: called when llmux stopped every group it started. */
  release(): void {
    try {
      rmSync(this.path, { force: true });
    } catch {
      // Nothing to do: a stale empty record is harmless.
    }
  }

  #write(): void {
    const content: StateFileContent = { version: 1, owner: this.#owner, processes: this.processes };
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`);
      renameSync(temporary, this.path);
    } catch (error) {
      throw new StateFileError(this.path, `cannot write the state file ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
