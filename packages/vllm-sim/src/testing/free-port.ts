import { createServer } from "node:net";

/** Ports handed out recently by this process: the kernel may offer a just-released port again. */
const recent: number[] = [];
const RECENT_LIMIT = 256;

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: bind port 0, read the
 * port the kernel chose, release it. Another process could take it before the
 * caller binds; tests that spawn servers on it accept that small window. A
 * port this process handed out recently is never returned again (a caller
 * asking for several ports before binding any would otherwise get twins).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await bindAndRelease();
    if (recent.includes(port)) continue;
    recent.push(port);
    if (recent.length > RECENT_LIMIT) recent.shift();
    return port;
  }
  throw new Error("could not find a free port not handed out recently");
}

function bindAndRelease(): Promise<number> {
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
