import { createServer } from "node:net";
import { PortInUseError, StartFailedError } from "./errors.js";

/**
 * Resolves when `host:port` can be bound right now (then releases it);
 * rejects with `LLMUX_ERR_PORT_IN_USE` when something holds it. vLLM would
 * otherwise load its model for a minute and only then die on the bind.
 */
export function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") reject(new PortInUseError(host, port, { cause: error }));
      else reject(new StartFailedError(`cannot bind ${host}:${port}: ${error.message}`, { cause: error }));
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve());
    });
  });
}
