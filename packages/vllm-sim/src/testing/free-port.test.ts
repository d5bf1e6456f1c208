import { createServer } from "node:net";
import { expect, it } from "vitest";
import { freePort } from "./free-port.js";

it("hands out distinct ports that can be bound on 127.0.0.1", async () => {
  const ports: number[] = [];
  for (let i = 0; i < 30; i++) ports.push(await freePort());
  expect(new Set(ports).size).toBe(ports.length);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(ports[0], "127.0.0.1", resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
