import { Agent, type Dispatcher } from "undici";

/** How to reach one model's engine: an origin, and the Unix socket to connect to when it serves on one. */
export interface EngineEndpoint {
  readonly model: string;
  readonly url: string;
  readonly socketPath?: string | undefined;
}

/**
 * The connection pools to the engines: one shared agent for engines on TCP
 * (undici keeps a pool per origin), and one agent per Unix socket, since a
 * socket path is not part of an origin. A socket's agent is destroyed when
 * its engine exits (`engineGone`) or the model's engine moves to a new socket.
 */
export class UpstreamAgents {
  readonly #keepAliveMs: number;
  readonly #tcp: Agent;
  readonly #bySocket = new Map<string, Agent>();
  /** The last endpoint each model was reached at (the engine-load reader scrapes it). */
  readonly #latest = new Map<string, EngineEndpoint>();

  constructor(keepAliveMs: number) {
    this.#keepAliveMs = keepAliveMs;
    this.#tcp = this.#agent(undefined);
  }

  /** The dispatcher for requests to `endpoint`'s engine. */
  dispatcherFor(endpoint: EngineEndpoint): Dispatcher {
    const previous = this.#latest.get(endpoint.model);
    if (previous?.socketPath !== undefined && previous.socketPath !== endpoint.socketPath) this.#drop(previous.socketPath);
    this.#latest.set(endpoint.model, { model: endpoint.model, url: endpoint.url, socketPath: endpoint.socketPath });
    const socketPath = endpoint.socketPath;
    if (socketPath === undefined) return this.#tcp;
    let agent = this.#bySocket.get(socketPath);
    if (agent === undefined) {
      agent = this.#agent(socketPath);
      this.#bySocket.set(socketPath, agent);
    }
    return agent;
  }

  /** Where `model`'s engine was last reached over a Unix socket, with its dispatcher; undefined when never. */
  socketEndpoint(model: string): { url: string; dispatcher: Dispatcher } | undefined {
    const endpoint = this.#latest.get(model);
    const agent = endpoint?.socketPath === undefined ? undefined : this.#bySocket.get(endpoint.socketPath);
    return endpoint === undefined || agent === undefined ? undefined : { url: endpoint.url, dispatcher: agent };
  }

  /** `model`'s engine process ended: its socket is gone with it. */
  engineGone(model: string): void {
    const endpoint = this.#latest.get(model);
    if (endpoint?.socketPath !== undefined) this.#drop(endpoint.socketPath);
    this.#latest.delete(model);
  }

  async destroy(): Promise<void> {
    const agents = [this.#tcp, ...this.#bySocket.values()];
    this.#bySocket.clear();
    this.#latest.clear();
    await Promise.all(agents.map((agent) => agent.destroy().catch(() => undefined)));
  }

  #drop(socketPath: string): void {
    const agent = this.#bySocket.get(socketPath);
    this.#bySocket.delete(socketPath);
    void agent?.destroy().catch(() => undefined);
  }

  #agent(socketPath: string | undefined): Agent {
    // No cap on connections per model: a cap would queue streams silently behind long ones.
    // Idle connections are reused only while younger than uvicorn's 5 s idle close (see upstream_keepalive_secs).
    return new Agent({
      keepAliveTimeout: this.#keepAliveMs,
      keepAliveMaxTimeout: this.#keepAliveMs,
      ...(socketPath === undefined ? {} : { connect: { socketPath } }),
    });
  }
}
