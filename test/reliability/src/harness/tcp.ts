import { readFileSync } from "node:fs";

/** TCP states as /proc/net/tcp writes them. */
export const TCP_ESTABLISHED = "01";
export const TCP_LISTEN = "0A";

export interface TcpSocket {
  /** Local address in /proc's hex form (`0100007F` is 127.0.0.1, `00000000` any). */
  localAddress: string;
  localPort: number;
  remotePort: number;
  state: string;
}

/** Every IPv4/IPv6 TCP socket of this network namespace (Linux; empty elsewhere). */
export function tcpSockets(): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [localAddress, localPort] = (fields[1] ?? "").split(":");
      const remotePort = (fields[2] ?? "").split(":")[1];
      const state = fields[3];
      if (localAddress === undefined || localPort === undefined || remotePort === undefined || state === undefined) continue;
      sockets.push({ localAddress, localPort: parseInt(localPort, 16), remotePort: parseInt(remotePort, 16), state });
    }
  }
  return sockets;
}

/** Local addresses listening on `port`. */
export function listenAddresses(port: number): string[] {
  return tcpSockets()
    .filter((socket) => socket.state === TCP_LISTEN && socket.localPort === port)
    .map((socket) => socket.localAddress);
}

/** Established connections whose server side is `port`. */
export function establishedTo(port: number): number {
  return tcpSockets().filter((socket) => socket.state === TCP_ESTABLISHED && socket.localPort === port).length;
}
