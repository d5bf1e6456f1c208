import { type ChildProcess, spawn } from "node:child_process";

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Run a command to its end (killed after `timeoutMs`), collecting its output. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<Outcome> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
  return collect(child).finally(() => clearTimeout(timer));
}

export function collect(child: ChildProcess): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Explain a failed command in the assertion message. */
export function describeOutcome(what: string, outcome: Outcome): string {
  return `${what} exited ${outcome.code ?? outcome.signal}\n--- stdout\n${outcome.stdout.slice(-4000)}\n--- stderr\n${outcome.stderr.slice(-4000)}`;
}

/** Resolves with the first match of `pattern` in the child's stdout (rejects if it exits first or after `timeoutMs`). */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => finish(new Error(`no ${pattern} in ${timeoutMs} ms; output so far:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString("utf8");
      const match = seen.match(pattern);
      if (match !== null) finish(undefined, match);
    };
    const onExit = (code: number | null): void => finish(new Error(`exited ${code} before printing ${pattern}; output:\n${seen}`));
    function finish(error?: Error, match?: RegExpMatchArray): void {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(match as RegExpMatchArray);
    }
    child.stdout?.on("data", onData);
    child.on("exit", onExit);
  });
}
