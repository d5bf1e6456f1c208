import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: bind port 0, read the
 * port the kernel chose, release it. Another process could take it before the
 * caller binds; tests that spawn servers on it accept that small window.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the bound port"));
      });
    });
  });
}
