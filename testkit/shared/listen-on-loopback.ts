import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LoopbackListener {
  port: number;
  /** `http://host:port`, with IPv6 hosts bracketed */
  origin: string;
  /** Destroys open connections (keep-alive, hung streams) and closes the server, so tests never wait on sockets. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (or the given host), port 0 by default, and tracks sockets for a prompt close. */
export async function listenOnLoopback(server: Server, options: { port?: number; host?: string }): Promise<LoopbackListener> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
