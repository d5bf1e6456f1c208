import type { ServerResponse } from "node:http";
import { openEventStream, writeEvent } from "./event-stream.js";
import type { StatusView } from "./status-view.js";

export interface LiveStatusOptions {
  view: () => StatusView;
  /** Aborts when the proxy starts to close: every stream ends. */
  closing: AbortSignal;
  /** Comment lines this often keep idle connections open through proxies. */
  keepaliveMs: number;
}

/**
 * `GET /llmux/events`: the status page's live feed. One subscription to the
 * multiplexer's events feeds every open stream: each burst of events (one
 * tick) builds the view once and writes it to all clients, so a client costs
 * a write per change and nothing while nothing happens (no polling).
 */
export class LiveStatus {
  readonly #options: LiveStatusOptions;
  readonly #clients = new Set<ServerResponse>();
  #scheduled = false;
  #keepalive: NodeJS.Timeout | undefined;

  constructor(options: LiveStatusOptions) {
    this.#options = options;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /**
   * Something changed: send a fresh view to every client once the current
   * tick's events are in, or at once when `now` (a state change: a state that
   * lasts less than a tick must still be shown).
   */
  changed(now = false): void {
    if (this.#clients.size === 0) return;
    if (now) {
      this.#broadcast();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#broadcast();
    });
  }

  #broadcast(): void {
    if (this.#clients.size === 0) return;
    const data = this.#render();
    if (data === undefined) return;
    for (const res of this.#clients) writeEvent(res, data, "status");
  }

  attach(res: ServerResponse): void {
    openEventStream(res, this.#options.closing, () => this.#detach(res));
    if (res.writableEnded) return;
    this.#clients.add(res);
    const data = this.#render();
    if (data !== undefined) writeEvent(res, data, "status");
    this.#keepalive ??= setInterval(() => {
      for (const client of this.#clients) if (!client.writableEnded) client.write(": keep-alive\n\n");
    }, this.#options.keepaliveMs);
    this.#keepalive.unref();
  }

  /** The view as JSON; undefined if building it failed (a status page must never take the server down). */
  #render(): string | undefined {
    try {
      return JSON.stringify(this.#options.view());
    } catch {
      return undefined;
    }
  }

  #detach(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0 && this.#keepalive !== undefined) {
      clearInterval(this.#keepalive);
      this.#keepalive = undefined;
    }
  }
}
