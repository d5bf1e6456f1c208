import type { Server } from "node:http";
import type { Socket } from "node:net";

/** Connections accepted past the cap, for the local and admin routes only. */
export const CONNECTION_RESERVE = 32;

/**
 * Count `server`'s connections. Past `max` a few more are accepted (so
 * `/health`, `/status` and admin still answer while clients hold every
 * slot) and marked; past that Node closes new connections at once. Returns
 * whether a socket is one of the marked ones.
 */
export function capConnections(server: Server, max: number): (socket: Socket) => boolean {
  const overflow = new WeakSet<Socket>();
  let open = 0;
  server.maxConnections = max + CONNECTION_RESERVE;
  server.on("connection", (socket: Socket) => {
    open++;
    if (open > max) overflow.add(socket);
    socket.once("close", () => open--);
  });
  return (socket) => overflow.has(socket);
}
