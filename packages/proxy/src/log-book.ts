/** Longest line kept (characters); a longer one is cut, so memory stays bounded by lines × this. */
export const MAX_LINE_CHARS = 8192;

export type LogListener = (line: string) => void;

/** The source name of llmux's own lines; models are named by their config name. */
export const LLMUX_LOG = Symbol("llmux");
export type LogSource = typeof LLMUX_LOG | string;

export interface LogBookOptions {
  /** Lines kept per source (0 keeps none; followers still see new lines). */
  lines: number;
  /** Strings never to store or send (API and admin keys), replaced by `[redacted]`. */
  secrets?: readonly string[];
}

/** A fixed-size ring of the last lines of one source. */
class LineRing {
  readonly #capacity: number;
  readonly #lines: string[] = [];
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(line: string): void {
    if (this.#capacity === 0) return;
    if (this.#lines.length < this.#capacity) this.#lines.push(line);
    else this.#lines[this.#next] = line;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** Oldest first. */
  lines(): string[] {
    if (this.#lines.length < this.#capacity) return [...this.#lines];
    return [...this.#lines.slice(this.#next), ...this.#lines.slice(0, this.#next)];
  }
}

/**
 * The recent log lines that `GET /llmux/logs` serves: llmux's own (fed by the
 * binary's logger) and each model's vLLM output (fed by its engine). Every
 * line is scrubbed of secrets before it is kept or sent: a key a client sent
 * in a header, or one from the config, never reaches a log reader.
 */
export class LogBook {
  readonly #capacity: number;
  readonly #secrets: string[];
  readonly #rings = new Map<LogSource, LineRing>();
  readonly #followers = new Map<LogSource, Set<LogListener>>();

  constructor(options: LogBookOptions) {
    this.#capacity = Math.max(0, Math.floor(options.lines));
    // Longest first, so a key that contains another is replaced whole.
    this.#secrets = [...new Set(options.secrets ?? [])].filter((secret) => secret !== "").sort((a, b) => b.length - a.length);
  }

  append(source: LogSource, line: string): void {
    const clean = this.scrub(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line);
    let ring = this.#rings.get(source);
    if (ring === undefined) {
      ring = new LineRing(this.#capacity);
      this.#rings.set(source, ring);
    }
    ring.push(clean);
    for (const listener of this.#followers.get(source) ?? []) listener(clean);
  }

  /** The kept lines of `source`, oldest first. */
  lines(source: LogSource): string[] {
    return this.#rings.get(source)?.lines() ?? [];
  }

  /** Call `listener` with each new line of `source`; returns the unsubscribe function. */
  follow(source: LogSource, listener: LogListener): () => void {
    let set = this.#followers.get(source);
    if (set === undefined) {
      set = new Set();
      this.#followers.set(source, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#followers.delete(source);
    };
  }

  /** `line` without configured keys, Bearer tokens or `--api-key` values. */
  scrub(line: string): string {
    let clean = line;
    for (const secret of this.#secrets) clean = clean.replaceAll(secret, "[redacted]");
    return clean.replace(/(bearer\s+)[^\s"',}]+/gi, "$1[redacted]").replace(/(--api-key[=\s"',]+)[^\s"',\]]+/gi, "$1[redacted]");
  }
}

/** The log book a proxy config asks for: `proxy.log_lines` per source, its API and admin keys scrubbed. */
export function createLogBook(config: { proxy: { log_lines?: number; api_keys: readonly string[]; admin_keys: readonly string[] } }): LogBook {
  return new LogBook({ lines: config.proxy.log_lines ?? 1000, secrets: [...config.proxy.api_keys, ...config.proxy.admin_keys] });
}
