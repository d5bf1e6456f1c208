import { connect } from "node:net";

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Wait until something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForConnect(port: number, options: { timeoutMs?: number; alive?: () => boolean; what?: string } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (options.alive && !options.alive()) throw new Error(`${options.what ?? `port ${port}`} exited before it listened`);
    if (await tryConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${options.what ?? `port ${port}`} did not listen within ${options.timeoutMs ?? 30_000} ms`);
}
