import type { Server } from "node:http";
import type { Socket } from "node:net";

/**
 * Close a connection that has been idle `idleMs` between requests, the way
 * uvicorn does (5 s by default) and without the `Keep-Alive: timeout=N`
 * header Node would send, which uvicorn does not: a client cannot see the
 * deadline coming, so a request sent as the server closes the connection
 * is lost on the wire, as with vLLM.
 */
export function closeIdleConnectionsAfter(server: Server, idleMs: number): void {
  server.keepAliveTimeout = 0;
  const pending = new Map<Socket, number>();
  const timers = new Map<Socket, NodeJS.Timeout>();
  const arm = (socket: Socket): void => {
    clearTimeout(timers.get(socket));
    timers.set(
      socket,
      setTimeout(() => socket.destroy(), idleMs),
    );
  };
  server.on("connection", (socket: Socket) => {
    pending.set(socket, 0);
    arm(socket);
    socket.once("close", () => {
      clearTimeout(timers.get(socket));
      timers.delete(socket);
      pending.delete(socket);
    });
  });
  server.on("request", (req, res) => {
    const socket = req.socket;
    clearTimeout(timers.get(socket));
    pending.set(socket, (pending.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const left = (pending.get(socket) ?? 1) - 1;
      pending.set(socket, left);
      if (left === 0 && !socket.destroyed) arm(socket);
    });
  });
}
